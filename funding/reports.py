"""The funding table of a convention: lines × years, with every total, in two queries."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from .models import FundingAmount, FundingLine

ZERO = Decimal("0")


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
        return self.line.is_local_share


@dataclass
class YearRow:
    """Planned vs paid for one line and one year."""

    line: FundingLine
    planned: Decimal
    paid: Decimal
    payments: list = field(default_factory=list)

    @property
    def remaining(self):
        return self.planned - self.paid

    @property
    def overpaid(self):
        return self.paid > self.planned

    @property
    def overpayment(self):
        return self.paid - self.planned


@dataclass
class Group:
    label: str
    key: str
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
    existing: dict = field(default_factory=dict)  # (line id, year) → planned, rows that exist

    @property
    def rows(self):
        return self.caf.rows + self.local.rows

    @property
    def groups(self):
        """The CAF's lines, then the collectivités' own share, each with its totals."""
        return [self.caf, self.local]

    @property
    def per_year(self):
        return [c + loc for c, loc in zip(self.caf.per_year, self.local.per_year, strict=True)]

    @property
    def total(self):
        return self.caf.total + self.local.total

    def for_year(self, year, payments=()):
        """[YearRow] of every line for `year`, with the given payments attached."""
        index = self.years.index(year)
        by_line = defaultdict(list)
        for payment in payments:
            by_line[payment.funding_amount.line_id].append(payment)
        return [
            YearRow(row.line, row.amounts[index], row.paid[index], by_line[row.line.pk])
            for row in self.rows
        ]

    @property
    def per_category(self):
        """[(category label, total over the period)]."""
        return [(label, total) for label, _amounts, total in self.per_category_per_year]

    @property
    def per_category_per_year(self):
        """[(category label, [amount per year], total)] in the order of the categories."""
        amounts = defaultdict(lambda: [ZERO] * len(self.years))
        for row in self.rows:
            sums = amounts[row.line.category]
            for index, amount in enumerate(row.amounts):
                sums[index] += amount
        order = [value for value, _label in FundingLine.Category.choices]
        labels = dict(FundingLine.Category.choices)
        return [
            (str(labels[key]), amounts[key], sum(amounts[key], ZERO))
            for key in sorted(amounts, key=order.index)
        ]


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
        caf=Group(_("CAF funding"), "caf", years=years),
        local=Group(_("Collectivités' own share"), "local", years=years),
    )
    table.existing = planned
    for line in lines:
        row = Row(
            line=line,
            amounts=[planned.get((line.pk, year), ZERO) for year in years],
            paid=[paid.get((line.pk, year), ZERO) for year in years],
        )
        (table.local if row.is_local_share else table.caf).rows.append(row)
    return table
