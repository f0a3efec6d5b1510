"""The fiches actions of a convention as a spreadsheet: every field, steps and indicators.

One row a sheet: its indicators are told in one cell (label, baseline with its date and
source, final target, values), and their targets of each year of the period in one column a
year ("Cibles 2024": "Places : 104", one line an indicator with a target that year)."""

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
            *(_("Targets %(year)s") % {"year": year} for year in self.convention.years),
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
            sheet.convention = self.convention  # read by the indicators' target_for
            indicators = list(sheet.indicators.all())
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
                "\n".join(self.indicator_text(i) for i in indicators),
                *(self.targets_text(indicators, year) for year in self.convention.years),
            ]

    @staticmethod
    def targets_text(indicators, year):
        """The targets of `year`, one line an indicator that has one: "Places : 104"."""
        return "\n".join(
            french_spacing(_("%(label)s: %(target)s"))
            % {"label": indicator.label, "target": indicator.show(target)}
            for indicator in indicators
            if (target := indicator.target_for(year)) is not None
        )

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
        baseline = indicator.show(indicator.baseline)
        if indicator.baseline_date or indicator.baseline_source:
            about = (
                [date_format(indicator.baseline_date, "d/m/Y")] if indicator.baseline_date else []
            )
            if indicator.baseline_source:
                about.append(
                    french_spacing(_("source: %(source)s")) % {"source": indicator.baseline_source}
                )
            baseline = f"{baseline} ({', '.join(about)})"
        return french_spacing(
            _("%(label)s (%(unit)s): baseline %(baseline)s, target %(target)s; values: %(values)s")
        ) % {
            "label": indicator.label,
            "unit": indicator.unit or DASH,
            "baseline": baseline,
            "target": indicator.show(indicator.target),
            "values": values or DASH,
        }
