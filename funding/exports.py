"""The funding table as a spreadsheet: the same rows and totals as the page.

Rows are read in chunks and totals summed on the way, so that a streamed CSV export holds
one chunk in memory, however many lines the convention has.
"""

from django.utils.translation import gettext as _

from conventions.models import LOCAL_SHARE_KINDS
from ctg_portal.exports import Exporter

from .models import FundingAmount, FundingLine
from .reports import Totals, total

CHUNK = 5000


def funding_columns(years):
    return [_("Funding line"), _("Structure"), _("Category"), _("Funder"), _("Share"), *years]


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
    def __init__(self, convention):
        self.convention = convention
        self.years = convention.years
        self.title = _("Funding")
        self.stem = f"financements-{convention.slug}"
        self.money_columns = frozenset(range(5, 5 + len(self.years) + 1))

    def header(self):
        return [*funding_columns(self.years), _("Total")]

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
        totals = Totals(years)
        for chunk in chunks(self.lines(), CHUNK):
            planned = {
                (line_id, year): amount
                for line_id, year, amount in FundingAmount.objects.filter(
                    line__in=[line.pk for line in chunk]
                ).values_list("line_id", "year", "planned")
            }
            for line in chunk:
                # A year without an amount stays an empty cell (not 0): it round-trips.
                amounts = [planned.get((line.pk, year)) for year in years]
                totals.add(line, amounts)
                yield [
                    line.label,
                    line.structure.name if line.structure else "",
                    line.get_category_display(),
                    line.funder.name,
                    _("local authorities") if line.is_local_share else _("CAF"),
                    *amounts,
                    total(amounts),
                ]
        # Rows of totals leave the structure, category, funder and share empty: the import
        # recognises them by that, whatever the language of their label.
        blank = ["", "", "", ""]
        yield [_("Total CAF"), *blank, *totals.caf, total(totals.caf)]
        yield [_("Total local authorities"), *blank, *totals.local, total(totals.local)]
        yield [_("Total (all funders)"), *blank, *totals.all, total(totals.all)]
        for label, amounts, category_total in totals.per_category():
            yield [
                _("Total — %(category)s") % {"category": label},
                *blank,
                *amounts,
                category_total,
            ]
