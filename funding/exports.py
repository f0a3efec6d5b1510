"""The funding table as a spreadsheet: the same rows and totals as the page.

Rows are read in chunks and totals summed on the way, so that a streamed CSV export holds
one chunk in memory, however many lines the convention has.
"""

from django.utils.translation import gettext as _

from conventions.models import LOCAL_SHARE_KINDS
from ctg_portal.exports import EURO, Column, Exporter, TotalsRow

from .models import FundingAmount, FundingLine
from .reports import ZERO, Totals, total

CHUNK = 5000


def funding_columns(years):
    return [_("Funding line"), _("Structure"), _("Category"), _("Funder"), _("Share"), *years]


def paid_title(year):
    """The title of a column of paid amounts: "Versé 2023" (the import reads no year in it)."""
    return _("Paid %(year)s") % {"year": year}


def chunks(iterable, size):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class FundingExporter(Exporter):
    """The lines with their planned amounts per year and total, then what was paid per year
    (active payments only) and its total; then the rows of totals."""

    SHARE = 4  # the column of the share (CAF or collectivités), which the totals rows select by
    CATEGORY = 2

    def __init__(self, convention):
        self.convention = convention
        self.years = convention.years
        self.title = _("Funding")
        self.stem = f"financements-{convention.slug}"

    def columns(self):
        count = len(self.years)
        planned = 5  # the first year's column
        paid = planned + count + 1
        return [
            *(Column(title) for title in funding_columns([])),
            *(Column(year, EURO, total=True) for year in self.years),
            Column(_("Total"), EURO, total=True, sums=(planned, planned + count - 1)),
            *(Column(paid_title(year), EURO, total=True) for year in self.years),
            Column(_("Total paid"), EURO, total=True, sums=(paid, paid + count - 1)),
        ]

    def lines(self):
        """The lines, CAF's first then the collectivités' (as on the page), read in chunks."""
        lines = FundingLine.objects.filter(convention=self.convention).select_related(
            "structure", "funder"
        )
        for share in (
            lines.exclude(funder__kind__in=LOCAL_SHARE_KINDS),
            lines.filter(funder__kind__in=LOCAL_SHARE_KINDS),
        ):
            yield from share.order_by("position", "pk").iterator(chunk_size=CHUNK)

    def rows(self):
        years = self.years
        planned_totals, paid_totals = Totals(years), Totals(years)
        caf, local = _("CAF"), _("local authorities")
        # Translated once, not once per line (get_category_display costs a lookup each).
        categories = {key: str(label) for key, label in FundingLine.Category.choices}
        for chunk in chunks(self.lines(), CHUNK):
            amounts_of = {}
            # Cancelled payments count in no total (FundingAmountQuerySet.with_paid).
            for line_id, year, planned, paid in (
                FundingAmount.objects.filter(line__in=[line.pk for line in chunk])
                .with_paid()
                .values_list("line_id", "year", "planned", "paid_total")
            ):
                amounts_of[line_id, year] = (planned, paid or ZERO)
            for line in chunk:
                # A year without an amount stays an empty cell (not 0): it round-trips.
                found = [amounts_of.get((line.pk, year)) for year in years]
                amounts = [a[0] if a else None for a in found]
                paid = [a[1] if a else None for a in found]
                planned_totals.add(line, amounts)
                paid_totals.add(line, paid)
                yield [
                    line.label,
                    line.structure.name if line.structure else "",
                    categories.get(line.category, line.category),
                    line.funder.name,
                    local if line.is_local_share else caf,
                    *amounts,
                    total(amounts),
                    *paid,
                    total(paid),
                ]
        # Rows of totals leave the structure, category, funder and share empty: the import
        # recognises them by that, whatever the language of their label. In the files they
        # are formulas (SUMIF on the share or the category) carrying these values.
        blank = ["", "", "", ""]

        def totals_row(label, planned, paid, where=None):
            return TotalsRow(
                [label, *blank, *planned, total(planned), *paid, total(paid)], where=where
            )

        yield totals_row(
            _("Total CAF"), planned_totals.caf, paid_totals.caf, where=(self.SHARE, caf)
        )
        yield totals_row(
            _("Total local authorities"),
            planned_totals.local,
            paid_totals.local,
            where=(self.SHARE, local),
        )
        yield totals_row(_("Total (all funders)"), planned_totals.all, paid_totals.all)
        paid_per_category = {label: amounts for label, amounts, _t in paid_totals.per_category()}
        for label, amounts, _total in planned_totals.per_category():
            yield totals_row(
                _("Total — %(category)s") % {"category": label},
                amounts,
                paid_per_category[label],
                where=(self.CATEGORY, label),
            )
