"""Figures of many conventions at once (the CAF overview), in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Sum
from django.utils import timezone

from actions.models import ActionSheet
from conventions.models import LOCAL_SHARE_KINDS
from funding.models import FundingAmount

if TYPE_CHECKING:
    import datetime
    from collections.abc import Collection

    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise

    from conventions.models import Convention

ZERO = Decimal("0")


@dataclass
class Figures:
    """Sheets by status, progress, lateness and funding of one convention, or of several."""

    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    progress_sum: int = 0
    late: int = 0
    caf_per_year: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    local_per_year: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))

    @property
    def sheet_count(self) -> int:
        return sum(self.statuses.values())

    @property
    def average_progress(self) -> int | None:
        return round(self.progress_sum / self.sheet_count) if self.sheet_count else None

    @property
    def status_list(self) -> list[tuple[str, StrOrPromise, int]]:
        return [
            (value, label, self.statuses.get(value, 0))
            for value, label in ActionSheet.Status.choices
        ]

    @property
    def years(self) -> list[int]:
        return sorted(set(self.caf_per_year) | set(self.local_per_year))

    @property
    def per_year(self) -> list[tuple[int, Decimal, Decimal]]:
        return [(year, self.caf_per_year[year], self.local_per_year[year]) for year in self.years]

    @property
    def caf_total(self) -> Decimal:
        return sum(self.caf_per_year.values(), ZERO)


def collect(
    convention_filter: Collection[int] | QuerySet[Convention, Any], today: datetime.date
) -> defaultdict[int, Figures]:
    """{convention id: Figures} for the conventions selected by `convention_filter`."""
    figures: defaultdict[int, Figures] = defaultdict(Figures)
    sheets = ActionSheet.objects.active().filter(convention__in=convention_filter)
    for row in (
        sheets.order_by()
        .values("convention_id", "status")
        .annotate(count=Count("id"), progress=Sum("progress"))
    ):
        item = figures[row["convention_id"]]
        item.statuses[row["status"]] += row["count"]
        item.progress_sum += row["progress"] or 0
    for row in sheets.overdue(today).order_by().values("convention_id").annotate(count=Count("id")):
        figures[row["convention_id"]].late += row["count"]
    for row in (
        FundingAmount.objects.filter(line__convention__in=convention_filter)
        .order_by()
        .values("line__convention_id", "year", "line__funder__kind")
        .annotate(total=Sum("planned"))
    ):
        item = figures[row["line__convention_id"]]
        bucket = (
            item.local_per_year
            if row["line__funder__kind"] in LOCAL_SHARE_KINDS
            else item.caf_per_year
        )
        bucket[row["year"]] += row["total"]
    return figures


def overview_rows(
    page_conventions: list[Convention], all_conventions: QuerySet[Convention]
) -> dict[str, Any]:
    """Rows for the conventions of the page, and totals across every convention of the user."""
    today = timezone.localdate()
    figures = collect([c.pk for c in page_conventions], today)
    rows = [(convention, figures[convention.pk]) for convention in page_conventions]
    totals = Figures()
    for item in collect(all_conventions.values("pk"), today).values():
        for status, count in item.statuses.items():
            totals.statuses[status] += count
        totals.progress_sum += item.progress_sum
        totals.late += item.late
        for year, amount in item.caf_per_year.items():
            totals.caf_per_year[year] += amount
        for year, amount in item.local_per_year.items():
            totals.local_per_year[year] += amount
    return {"rows": rows, "totals": totals}
