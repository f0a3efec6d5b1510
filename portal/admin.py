"""The convention's back-office page, with what it shows of the domains above conventions.

`conventions.admin` registers the convention with its own parts (signatories, domains, enjeux,
objectives, members); this layer adds what spans the domains: the action sheet count, the
funding summary and the exports, without the domain apps importing each other.
"""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from actions.exports import SheetExporter
from conventions.admin import ConventionAdmin
from conventions.models import Convention
from ctg_portal.exports import export_response
from funding.exports import FundingExporter
from funding.reports import funding_table


class PortalConventionAdmin(ConventionAdmin):
    list_display = [*ConventionAdmin.list_display, "sheet_count"]
    readonly_fields = ["funding_summary"]
    fieldsets = [*ConventionAdmin.fieldsets, (_("Funding"), {"fields": ["funding_summary"]})]
    actions = [
        "export_funding_xlsx",
        "export_funding_ods",
        "export_funding_csv",
        "export_sheets_xlsx",
    ]

    def _export(self, request, queryset, exporter_class, extension):
        # One file per convention: an export of several would mix their periods.
        if queryset.count() != 1:
            self.message_user(
                request, _("Select exactly one convention to export."), level=messages.WARNING
            )
            return None
        return export_response(exporter_class(queryset.get()), extension)

    @admin.action(description=_("Export the funding table (XLSX)"))
    def export_funding_xlsx(self, request, queryset):
        return self._export(request, queryset, FundingExporter, "xlsx")

    @admin.action(description=_("Export the funding table (ODS)"))
    def export_funding_ods(self, request, queryset):
        return self._export(request, queryset, FundingExporter, "ods")

    @admin.action(description=_("Export the funding table (CSV)"))
    def export_funding_csv(self, request, queryset):
        return self._export(request, queryset, FundingExporter, "csv")

    @admin.action(description=_("Export the action sheets (XLSX)"))
    def export_sheets_xlsx(self, request, queryset):
        return self._export(request, queryset, SheetExporter, "xlsx")

    def get_queryset(self, request):
        active = Q(action_sheets__archived_at__isnull=True)
        return (
            super()
            .get_queryset(request)
            .annotate(_sheet_count=Count("action_sheets", filter=active))
        )

    @admin.display(description=_("action sheets"), ordering="_sheet_count")
    def sheet_count(self, obj):
        return obj._sheet_count

    @admin.display(description=_("funding per year"))
    def funding_summary(self, obj):
        if obj.pk is None:
            return "—"
        return render_to_string("funding/includes/totals.html", {"table": funding_table(obj)})


admin.site.unregister(Convention)
admin.site.register(Convention, PortalConventionAdmin)
