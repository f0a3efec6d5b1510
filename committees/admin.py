"""The meetings in the back-office. Agenda items name their sheets and objectives, and
decisions change sheets, from the portal's pages only (committees.forms, services): here they
are read, and the meetings' own fields, attendance and the decisions' text, owner, due date and
state are corrected."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ctg_portal.admin import FrenchTitlesMixin

from . import services
from .models import AgendaItem, Attendance, Decision, Meeting


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    autocomplete_fields = ["user", "partner"]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ["position", "title", "notes"]


class VersionedAdmin(FrenchTitlesMixin, SimpleHistoryAdmin):
    def save_model(self, request, obj, form, change):
        if change:
            # A new version, as a save from the portal: a form opened before meets a conflict.
            services.bump_version(obj)
        super().save_model(request, obj, form, change)


@admin.register(Meeting)
class MeetingAdmin(VersionedAdmin):
    indefinite_name = _("a meeting")
    definite_name = _("the meeting")
    list_display = ["title", "kind", "starts_at", "state", "convention", "is_public"]
    list_filter = ["kind", "state", "is_public", "convention"]
    search_fields = ["title", "place", "convention__title"]
    list_select_related = ["convention"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["convention"]
    readonly_fields = ["version"]
    inlines = [AgendaItemInline, AttendanceInline]


@admin.register(Decision)
class DecisionAdmin(VersionedAdmin):
    indefinite_name = _("a decision")
    definite_name = _("the decision")
    list_display = ["__str__", "meeting", "owner", "due_on", "state", "applied_at"]
    list_filter = ["state"]
    search_fields = ["text", "meeting__title", "meeting__convention__title"]
    list_select_related = ["meeting", "owner"]
    autocomplete_fields = ["meeting", "owner"]
    fields = [
        "meeting",
        "text",
        "owner",
        "due_on",
        "state",
        "sheets_shown",
        "new_status",
        "pilot_to_add",
        "new_planned_start",
        "new_planned_end",
        "applied_at",
        "version",
    ]
    readonly_fields = [
        "sheets_shown",
        "new_status",
        "pilot_to_add",
        "new_planned_start",
        "new_planned_end",
        "applied_at",
        "version",
    ]

    @admin.display(description=_("action sheets"))
    def sheets_shown(self, obj):
        return ", ".join(str(sheet) for sheet in obj.sheets.order_by("number")) or "—"

    def get_readonly_fields(self, request, obj=None):
        # The meeting is chosen when a decision is added, then kept.
        return [*self.readonly_fields, "meeting"] if obj is not None else self.readonly_fields
