"""The funding table as a spreadsheet: the same rows and totals as the page."""

from django.utils.translation import gettext as _

from ctg_portal.exports import Exporter

from .reports import funding_table

TOTAL_PREFIX = "Total"  # rows of totals start with it and name no funder (skipped on import)


def funding_columns(years):
    return [_("Funding line"), _("Structure"), _("Category"), _("Funder"), _("Share"), *years]


class FundingExporter(Exporter):
    def __init__(self, convention, table=None):
        self.convention = convention
        self.table = table or funding_table(convention)
        self.title = _("Funding")
        self.stem = f"financements-{convention.slug}"
        years = self.table.years
        self.money_columns = frozenset(range(5, 5 + len(years) + 1))

    def header(self):
        return [*funding_columns(self.table.years), _("Total")]

    def rows(self):
        table = self.table
        for group, share in ((table.caf, _("CAF")), (table.local, _("collectivités"))):
            for row in group.rows:
                line = row.line
                # A year without an amount stays an empty cell (not 0): it round-trips as such.
                amounts = [
                    amount if (line.pk, year) in table.existing else None
                    for year, amount in zip(table.years, row.amounts, strict=True)
                ]
                yield [
                    line.label,
                    line.structure.name if line.structure else "",
                    line.get_category_display(),
                    line.funder.name,
                    share,
                    *amounts,
                    row.total,
                ]
        blank = ["", "", "", ""]
        yield [_("Total CAF"), *blank, *table.caf.per_year, table.caf.total]
        yield [_("Total collectivités"), *blank, *table.local.per_year, table.local.total]
        yield [_("Total (all funders)"), *blank, *table.per_year, table.total]
        for label, amounts, total in table.per_category_per_year:
            yield [_("Total — %(category)s") % {"category": label}, *blank, *amounts, total]
