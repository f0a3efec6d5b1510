"""The funding table as a spreadsheet: the same rows and totals as the page.

Rows are read in chunks and totals summed on the way, so that a streamed CSV export holds
one chunk in memory, however many lines the convention has.
"""

from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext as _

from conventions.models import LOCAL_SHARE_KINDS
from ctg_portal.exports import Exporter

from .models import FundingAmount, FundingLine

TOTAL_PREFIX = "Total"  # rows of totals start with it and name no funder (skipped on import)
CHUNK = 5000
ZERO = Decimal("0")


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
        self.cache_key = f"{self.stem}:{convention.data_version}"
        self.money_columns = frozenset(range(5, 5 + len(self.years) + 1))

    def header(self):
        return [*funding_columns(self.years), _("Total")]

    def lines(self, local):
        lines = FundingLine.objects.filter(convention=self.convention).select_related(
            "structure", "funder"
        )
        if local:
            lines = lines.filter(funder__kind__in=LOCAL_SHARE_KINDS)
        else:
            lines = lines.exclude(funder__kind__in=LOCAL_SHARE_KINDS)
        return lines.order_by("position", "pk").iterator(chunk_size=CHUNK)

    def rows(self):
        years = self.years
        totals = {False: [ZERO] * len(years), True: [ZERO] * len(years)}
        by_category = defaultdict(lambda: [ZERO] * len(years))
        for local, share in ((False, _("CAF")), (True, _("collectivités"))):
            for chunk in chunks(self.lines(local), CHUNK):
                planned = {
                    (line_id, year): amount
                    for line_id, year, amount in FundingAmount.objects.filter(
                        line__in=[line.pk for line in chunk]
                    ).values_list("line_id", "year", "planned")
                }
                for line in chunk:
                    # A year without an amount stays an empty cell (not 0): it round-trips.
                    amounts = [planned.get((line.pk, year)) for year in years]
                    for index, amount in enumerate(amounts):
                        if amount is not None:
                            totals[local][index] += amount
                            by_category[line.category][index] += amount
                    yield [
                        line.label,
                        line.structure.name if line.structure else "",
                        line.get_category_display(),
                        line.funder.name,
                        share,
                        *amounts,
                        sum((a for a in amounts if a is not None), ZERO),
                    ]
        blank = ["", "", "", ""]
        everything = [c + loc for c, loc in zip(totals[False], totals[True], strict=True)]
        yield [_("Total CAF"), *blank, *totals[False], sum(totals[False], ZERO)]
        yield [_("Total collectivités"), *blank, *totals[True], sum(totals[True], ZERO)]
        yield [_("Total (all funders)"), *blank, *everything, sum(everything, ZERO)]
        labels = dict(FundingLine.Category.choices)
        for category, _label in FundingLine.Category.choices:
            if category in by_category:
                amounts = by_category[category]
                label = _("Total — %(category)s") % {"category": labels[category]}
                yield [label, *blank, *amounts, sum(amounts, ZERO)]
