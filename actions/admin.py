from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from conventions.admin import ConventionBoundAdmin
from ctg_portal.admin import FrenchTitlesMixin

from . import services
from .forms import sheet_choices
from .models import (
    ActionSheet,
    Indicator,
    IndicatorValue,
    ProgressNote,
    Step,
    hold_history,
    write_history,
)


class StepInline(admin.TabularInline):
    model = Step
    extra = 0


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    show_change_link = True


class ProgressNoteInline(admin.StackedInline):
    model = ProgressNote
    extra = 0
    autocomplete_fields = ["author"]


@admin.register(ActionSheet)
class ActionSheetAdmin(ConventionBoundAdmin, SimpleHistoryAdmin):
    indefinite_name = _("an action sheet")
    definite_name = _("the action sheet")
    list_display = [
        "number",
        "title",
        "convention",
        "objective_number",
        "status",
        "priority",
        "progress",
        "planned_end",
        "archived_at",
    ]
    list_display_links = ["number", "title"]
    list_filter = ["status", "priority", "convention", "archived_at"]
    search_fields = ["title", "description", "convention__title"]
    list_select_related = ["convention", "objective"]
    autocomplete_fields = [
        "objective",
        "domains",
        "lead_partner",
        "partners",
        "communes",
        "pilots",
    ]
    readonly_fields = ["version"]
    inlines = [StepInline, IndicatorInline, ProgressNoteInline]

    @admin.display(description=ActionSheet._meta.get_field("objective").verbose_name)
    def objective_number(self, obj):
        return obj.objective.number

    def convention_choices(self, convention, obj):
        return sheet_choices(convention, obj)

    def save_model(self, request, obj, form, change):
        if change:
            # A new version above the current one, as a save from the portal: a form opened
            # before then meets a conflict, also after a revert (which restores an old version).
            services.bump_version(obj)
        # The sheet and its links (saved next) as one history record, written by log_*().
        hold_history(obj)
        super().save_model(request, obj, form, change)

    def log_addition(self, request, obj, message):
        write_history(obj)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        write_history(obj)
        return super().log_change(request, obj, message)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # A revert is one change (version, sheet, links), as the change page's save.
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)


class IndicatorValueInline(admin.TabularInline):
    model = IndicatorValue
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(FrenchTitlesMixin, SimpleHistoryAdmin):
    indefinite_name = _("an indicator")
    definite_name = _("the indicator")
    list_display = ["label", "sheet", "kind", "unit", "baseline_shown", "target_shown"]
    list_filter = ["kind"]
    search_fields = ["label", "sheet__title"]
    list_select_related = ["sheet"]
    autocomplete_fields = ["sheet"]
    inlines = [IndicatorValueInline]

    @admin.display(
        description=Indicator._meta.get_field("baseline").verbose_name, ordering="baseline"
    )
    def baseline_shown(self, obj):
        return obj.show(obj.baseline)

    @admin.display(description=Indicator._meta.get_field("target").verbose_name, ordering="target")
    def target_shown(self, obj):
        return obj.show(obj.target)


@admin.register(Step)
class StepAdmin(FrenchTitlesMixin, SimpleHistoryAdmin):
    indefinite_name = _("a step")
    definite_name = _("the step")
    list_display = ["title", "sheet", "due_on", "done_on"]
    list_filter = ["done_on"]
    search_fields = ["title", "sheet__title"]
    list_select_related = ["sheet"]
    autocomplete_fields = ["sheet"]


@admin.register(ProgressNote)
class ProgressNoteAdmin(FrenchTitlesMixin, admin.ModelAdmin):
    indefinite_name = _("a follow-up note")
    definite_name = _("the follow-up note")
    list_display = ["sheet", "written_on", "author", "is_public"]
    list_filter = ["is_public", "written_on"]
    search_fields = ["text", "sheet__title"]
    list_select_related = ["sheet", "author"]
    autocomplete_fields = ["sheet", "author"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(FrenchTitlesMixin, admin.ModelAdmin):
    indefinite_name = _("an indicator value")
    definite_name = _("the indicator value")
    list_display = ["indicator", "measured_on", "value_shown"]
    search_fields = ["indicator__label"]
    list_select_related = ["indicator"]
    autocomplete_fields = ["indicator"]

    @admin.display(
        description=IndicatorValue._meta.get_field("value").verbose_name, ordering="value"
    )
    def value_shown(self, obj):
        return obj.indicator.show(obj.value)
