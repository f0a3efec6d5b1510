"""The funding table of a convention: lines × years, with every total, in two queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from conventions.models import Partner

from .models import FundingAmount, FundingLine

ZERO = Decimal("0")
LOCAL_FUNDER_KINDS = {Partner.Kind.COMMUNE, Partner.Kind.EPCI}


@dataclass
class Row:
    line: FundingLine
    amounts: list  # one Decimal per year of the period
    paid: list  # one Decimal per year of the period

    @property
    def total(self):
        return sum(self.amounts, ZERO)

    @property
    def is_local_share(self):
        return self.line.funder.kind in LOCAL_FUNDER_KINDS


@dataclass
class Group:
    label: str
    rows: list = field(default_factory=list)
    years: list = field(default_factory=list)

    @property
    def per_year(self):
        return [sum((row.amounts[i] for row in self.rows), ZERO) for i in range(len(self.years))]

    @property
    def total(self):
        return sum(self.per_year, ZERO)


@dataclass
class FundingTable:
    years: list
    caf: Group
    local: Group

    @property
    def rows(self):
        return self.caf.rows + self.local.rows

    @property
    def per_year(self):
        return [c + loc for c, loc in zip(self.caf.per_year, self.local.per_year, strict=True)]

    @property
    def total(self):
        return self.caf.total + self.local.total

    @property
    def per_category(self):
        totals = defaultdict(lambda: ZERO)
        labels = {}
        for row in self.rows:
            totals[row.line.category] += row.total
            labels[row.line.category] = row.line.get_category_display()
        return [(labels[key], totals[key]) for key in sorted(totals)]


def funding_table(convention):
    """Every funding line of the convention with its planned and paid amounts per year."""
    years = convention.years
    lines = (
        FundingLine.objects.filter(convention=convention)
        .select_related("structure", "funder")
        .order_by("position", "pk")
    )
    planned = {}
    paid = {}
    amounts = FundingAmount.objects.filter(line__convention=convention).annotate(
        paid_total=Sum("payments__amount")
    )
    for amount in amounts.values_list("line_id", "year", "planned", "paid_total"):
        line_id, year, planned_amount, paid_amount = amount
        planned[line_id, year] = planned_amount
        paid[line_id, year] = paid_amount or ZERO
    table = FundingTable(
        years=years,
        caf=Group(_("CAF funding"), years=years),
        local=Group(_("Collectivités' own share"), years=years),
    )
    for line in lines:
        row = Row(
            line=line,
            amounts=[planned.get((line.pk, year), ZERO) for year in years],
            paid=[paid.get((line.pk, year), ZERO) for year in years],
        )
        (table.local if row.is_local_share else table.caf).rows.append(row)
    return table
