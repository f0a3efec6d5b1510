"""The fiches actions of a convention as a spreadsheet: every field, steps and indicators."""

from django.db.models import Prefetch
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ctg_portal.exports import DATE, INTEGER, PERCENT, Exporter
from ctg_portal.formatting import DASH, LIST_SEPARATOR, display_name, format_dated, french_spacing

from .models import ActionSheet, Indicator, IndicatorValue, Step


def names(objects, attribute="name"):
    return ", ".join(getattr(o, attribute) for o in objects)


class SheetExporter(Exporter):
    # The columns that are not text, by their place in the header: the number, the progress
    # (a percentage), the planned start and end (dates).
    kinds = {0: INTEGER, 6: PERCENT, 7: DATE, 8: DATE}

    def __init__(self, convention):
        self.convention = convention
        self.title = _("Action sheets")
        self.stem = f"fiches-actions-{convention.slug}"

    def header(self):
        return [
            _("No."),
            _("Title"),
            _("Strategic objective"),
            _("Domains"),
            _("Status"),
            _("Priority"),
            _("Progress (%)"),
            _("Planned start"),
            _("Planned end"),
            _("Pilots"),
            _("Lead partner"),
            _("Elected referent"),
            _("Partners"),
            _("Communes concerned"),
            _("Description"),
            _("Goals"),
            _("Target publics"),
            _("Steps"),
            _("Indicators"),
        ]

    def sheets(self):
        return (
            ActionSheet.objects.active()
            .filter(convention=self.convention)
            .select_related("objective", "lead_partner")
            .prefetch_related(
                "domains",
                "pilots",
                "partners",
                "communes",
                Prefetch("steps", queryset=Step.objects.order_by("position", "due_on", "pk")),
                Prefetch(
                    "indicators",
                    queryset=Indicator.objects.prefetch_related(
                        Prefetch("values", queryset=IndicatorValue.objects.order_by("measured_on"))
                    ),
                ),
            )
            .order_by("number")
        )

    def rows(self):
        for sheet in self.sheets():
            yield [
                sheet.number,
                sheet.title,
                str(sheet.objective),
                names(sheet.domains.all()),
                sheet.get_status_display(),
                sheet.get_priority_display(),
                sheet.progress,
                sheet.planned_start,
                sheet.planned_end,
                ", ".join(display_name(u) for u in sheet.pilots.all()),
                sheet.lead_partner.name if sheet.lead_partner else "",
                sheet.elected_referent,
                names(sheet.partners.all()),
                names(sheet.communes.all()),
                sheet.description,
                sheet.goals,
                sheet.target_publics,
                "\n".join(self.step_text(step) for step in sheet.steps.all()),
                "\n".join(self.indicator_text(i) for i in sheet.indicators.all()),
            ]

    @staticmethod
    def step_text(step):
        parts = [step.title]
        if step.due_on:
            parts.append(_("due %(date)s") % {"date": date_format(step.due_on, "d/m/Y")})
        if step.done_on:
            parts.append(_("done on %(date)s") % {"date": date_format(step.done_on, "d/m/Y")})
        return " — ".join(parts)

    @staticmethod
    def indicator_text(indicator):
        """ "Places (places) : valeur initiale 96, cible 104 ; valeurs : 31/12/2023 : 96 ; …",
        its figures with the indicator's decimals, French spacing before : and ;."""
        values = LIST_SEPARATOR.join(
            format_dated(v.measured_on, indicator.show(v.value)) for v in indicator.values.all()
        )
        return french_spacing(
            _("%(label)s (%(unit)s): baseline %(baseline)s, target %(target)s; values: %(values)s")
        ) % {
            "label": indicator.label,
            "unit": indicator.unit or DASH,
            "baseline": indicator.show(indicator.baseline),
            "target": indicator.show(indicator.target),
            "values": values or DASH,
        }
