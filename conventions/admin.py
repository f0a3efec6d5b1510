from django.contrib import admin, messages
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Challenge,
    Convention,
    Domain,
    Membership,
    Partner,
    Signatory,
    StrategicObjective,
)

admin.site.site_header = _("CTG Portal — back-office")
admin.site.site_title = _("CTG Portal")
admin.site.index_title = _("Administration")


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "insee_code", "siren", "epci"]
    list_filter = ["kind"]
    search_fields = ["name", "insee_code", "siren"]
    list_select_related = ["epci"]
    autocomplete_fields = ["epci"]


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0
    autocomplete_fields = ["partner"]


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class ChallengeInline(admin.TabularInline):
    model = Challenge
    extra = 0


class ObjectiveInline(admin.StackedInline):
    model = StrategicObjective
    extra = 0
    fields = ["number", "title", "challenges", "domains"]
    filter_horizontal = ["challenges", "domains"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Only the enjeux and domains of the convention being edited.
        convention_id = request.resolver_match.kwargs.get("object_id")
        if db_field.name in {"challenges", "domains"}:
            kwargs["queryset"] = db_field.related_model.objects.filter(convention_id=convention_id)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Convention)
class ConventionAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "slug",
        "territory",
        "start_year",
        "end_year",
        "status",
        "is_public",
        "sheet_count",
    ]
    list_filter = ["status", "is_public", "start_year"]
    search_fields = ["title", "slug", "territory"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["funding_summary"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "territory", "status", "is_public"]}),
        (_("Period"), {"fields": ["start_year", "end_year", "signed_on"]}),
        (_("Funding"), {"fields": ["funding_summary"]}),
    ]
    inlines = [SignatoryInline, DomainInline, ChallengeInline, ObjectiveInline, MembershipInline]
    actions = [
        "export_funding_xlsx",
        "export_funding_ods",
        "export_funding_csv",
        "export_sheets_xlsx",
    ]

    def _export(self, request, queryset, exporter_class, extension):
        # One file per convention: an export of several would mix their periods.
        from ctg_portal.exports import export_response

        if queryset.count() != 1:
            self.message_user(
                request, _("Select exactly one convention to export."), level=messages.WARNING
            )
            return None
        return export_response(exporter_class(queryset.get()), extension)

    @admin.action(description=_("Export the funding table (XLSX)"))
    def export_funding_xlsx(self, request, queryset):
        from funding.exports import FundingExporter

        return self._export(request, queryset, FundingExporter, "xlsx")

    @admin.action(description=_("Export the funding table (ODS)"))
    def export_funding_ods(self, request, queryset):
        from funding.exports import FundingExporter

        return self._export(request, queryset, FundingExporter, "ods")

    @admin.action(description=_("Export the funding table (CSV)"))
    def export_funding_csv(self, request, queryset):
        from funding.exports import FundingExporter

        return self._export(request, queryset, FundingExporter, "csv")

    @admin.action(description=_("Export the action sheets (XLSX)"))
    def export_sheets_xlsx(self, request, queryset):
        from actions.exports import SheetExporter

        return self._export(request, queryset, SheetExporter, "xlsx")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _sheet_count=Count(
                    "action_sheets", filter=Q(action_sheets__archived_at__isnull=True)
                )
            )
        )

    @admin.display(description=_("action sheets"), ordering="_sheet_count")
    def sheet_count(self, obj):
        return obj._sheet_count

    @admin.display(description=_("funding per year"))
    def funding_summary(self, obj):
        if obj.pk is None:
            return "—"
        # Imported here: funding depends on conventions, not the other way round.
        from funding.reports import funding_table

        return render_to_string("funding/includes/totals.html", {"table": funding_table(obj)})


@admin.register(Signatory)
class SignatoryAdmin(admin.ModelAdmin):
    list_display = ["partner", "convention", "signed_on", "signer_name", "signer_title"]
    list_filter = ["convention"]
    search_fields = ["partner__name", "convention__title", "signer_name"]
    list_select_related = ["partner", "convention"]
    autocomplete_fields = ["partner", "convention"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "convention", "position"]
    list_filter = ["convention"]
    search_fields = ["name", "convention__title"]
    list_select_related = ["convention"]
    autocomplete_fields = ["convention"]


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ["title", "convention", "position"]
    list_filter = ["convention"]
    search_fields = ["title", "convention__title"]
    list_select_related = ["convention"]
    autocomplete_fields = ["convention"]


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "convention"]
    list_display_links = ["number", "title"]
    list_filter = ["convention"]
    search_fields = ["title", "convention__title"]
    list_select_related = ["convention"]
    autocomplete_fields = ["convention", "challenges", "domains"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "convention", "role"]
    list_filter = ["role", "convention"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "convention__title"]
    list_select_related = ["user", "convention"]
    autocomplete_fields = ["user", "convention"]
