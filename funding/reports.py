"""The funding of a convention: lines × years with every total, in two queries.

`Totals` is the one computation of the totals (CAF, collectivités, all funders, per category):
the funding page builds it from `funding_table`, the streamed exports feed it row by row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from .models import FundingAmount, FundingLine, Payment

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet

    from conventions.models import Convention

ZERO = Decimal("0")


def total(amounts: Iterable[Decimal | None]) -> Decimal:
    """The sum of amounts, empty ones (None: no amount planned) left out."""
    return sum((a for a in amounts if a is not None), ZERO)


class Totals:
    """Per-year totals of funding lines: CAF, collectivités, all funders, per category."""

    def __init__(self, years: list[int]):
        self.years = years
        self.caf = [ZERO] * len(years)
        self.local = [ZERO] * len(years)
        self.categories: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO] * len(years))

    def add(self, line: FundingLine, amounts: list) -> None:
        """Count one line's amounts (one per year, None where no amount is planned)."""
        share = self.local if line.is_local_share else self.caf
        by_category = self.categories[line.category]
        for index, amount in enumerate(amounts):
            if amount is not None:
                share[index] += amount
                by_category[index] += amount

    @property
    def all(self) -> list[Decimal]:
        return [c + loc for c, loc in zip(self.caf, self.local, strict=True)]

    def per_category(self) -> list[tuple[str, list[Decimal], Decimal]]:
        """[(category label, [amount per year], total)] in the order of the categories."""
        labels = dict(FundingLine.Category.choices)
        return [
            (str(labels[key]), self.categories[key], total(self.categories[key]))
            for key, _label in FundingLine.Category.choices
            if key in self.categories
        ]


@dataclass
class Row:
    line: FundingLine
    amounts: list  # one Decimal per year of the period
    paid: list  # one Decimal per year of the period

    @property
    def total(self) -> Decimal:
        return total(self.amounts)

    @property
    def is_local_share(self) -> bool:
        return self.line.is_local_share


@dataclass
class YearRow:
    """Planned vs paid for one line and one year."""

    line: FundingLine
    planned: Decimal
    paid: Decimal
    payments: list = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.planned - self.paid

    @property
    def overpaid(self) -> bool:
        return self.paid > self.planned

    @property
    def overpayment(self) -> Decimal:
        return self.paid - self.planned


class YearRows(list[YearRow]):
    """The lines of one year, with the totals of every column of figures."""

    @property
    def planned(self) -> Decimal:
        return total(row.planned for row in self)

    @property
    def paid(self) -> Decimal:
        return total(row.paid for row in self)

    @property
    def remaining(self) -> Decimal:
        """What is still to pay: the remainders of the lines not yet fully paid (an overpaid
        line reduces no other line's remainder: it may be another funder's)."""
        return total(row.remaining for row in self if not row.overpaid)

    @property
    def overpayment(self) -> Decimal:
        """The sum of the overpayments of the overpaid lines."""
        return total(row.overpayment for row in self if row.overpaid)


@dataclass
class Group:
    label: str
    key: str
    rows: list = field(default_factory=list)
    per_year: list = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return total(self.per_year)


@dataclass
class FundingTable:
    years: list
    caf: Group
    local: Group
    totals: Totals
    existing: dict = field(default_factory=dict)  # (line id, year) → planned, rows that exist

    @property
    def rows(self) -> list[Row]:
        return self.caf.rows + self.local.rows

    @property
    def groups(self) -> list[Group]:
        """The CAF's lines, then the collectivités' own share, each with its totals."""
        return [self.caf, self.local]

    @property
    def per_year(self) -> list[Decimal]:
        return self.totals.all

    @property
    def total(self) -> Decimal:
        return total(self.totals.all)

    @property
    def per_category_per_year(self) -> list[tuple[str, list[Decimal], Decimal]]:
        return self.totals.per_category()

    def for_year(self, year: int, payments: Iterable[Payment] = ()) -> YearRows:
        """The YearRow of every line for `year`, with the given payments attached, and their
        totals (planned, paid, remaining, overpaid)."""
        index = self.years.index(year)
        by_line: defaultdict[int, list[Payment]] = defaultdict(list)
        for payment in payments:
            by_line[payment.funding_amount.line_id].append(payment)
        return YearRows(
            YearRow(row.line, row.amounts[index], row.paid[index], by_line[row.line.pk])
            for row in self.rows
        )


def funding_table(convention: Convention) -> FundingTable:
    """Every funding line of the convention with its planned and paid amounts per year."""
    years = convention.years
    lines = (
        FundingLine.objects.filter(convention=convention)
        .select_related("structure", "funder")
        .order_by("position", "pk")
    )
    planned: dict[tuple[int, int], Decimal] = {}
    paid: dict[tuple[int, int], Decimal] = {}
    # Cancelled payments are listed but count in no total (FundingAmountQuerySet.with_paid).
    amounts = FundingAmount.objects.filter(line__convention=convention).with_paid()
    for line_id, year, planned_amount, paid_amount in amounts.values_list(
        "line_id", "year", "planned", "paid_total"
    ):
        planned[line_id, year] = planned_amount
        paid[line_id, year] = paid_amount or ZERO
    totals = Totals(years)
    table = FundingTable(
        years=years,
        caf=Group(_("CAF funding"), "caf", per_year=totals.caf),
        local=Group(_("Local authorities' own share"), "local", per_year=totals.local),
        totals=totals,
        existing=planned,
    )
    for line in lines:
        row = Row(
            line=line,
            amounts=[planned.get((line.pk, year), ZERO) for year in years],
            paid=[paid.get((line.pk, year), ZERO) for year in years],
        )
        totals.add(line, row.amounts)
        (table.local if row.is_local_share else table.caf).rows.append(row)
    return table


def payments_of_year(convention: Convention, year: int) -> QuerySet[Payment]:
    """The payments of a convention's lines for `year`, in the order they were made; the
    cancelled ones too (shown struck: they count in no total)."""
    return (
        Payment.objects.of_convention(convention)
        .filter(funding_amount__year=year)
        .select_related("funding_amount")
        .order_by("paid_on", "pk")
    )
