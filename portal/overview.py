"""Figures of many conventions at once (the CAF overview), in a fixed number of queries.

The overview groups the conventions by CAF (each CAF's subtotals across all its conventions
the user may see, then the conventions without a CAF) and filters them by CAF and by
département (`?caf=<id>&departement=81`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

from django import forms
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actions.models import ActionSheet
from conventions.models import LOCAL_SHARE_KINDS, Convention, ConventionQuerySet, Partner
from ctg_portal.fields import SafeModelChoiceField
from funding.models import FundingAmount

if TYPE_CHECKING:
    import datetime
    from collections.abc import Collection

    from django.db.models import QuerySet
    from django.http import QueryDict
    from django_stubs_ext import StrOrPromise


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

    def add(self, other: Figures) -> None:
        """Add `other`'s figures to these (a subtotal, a total)."""
        for status, count in other.statuses.items():
            self.statuses[status] += count
        self.progress_sum += other.progress_sum
        self.late += other.late
        for year, amount in other.caf_per_year.items():
            self.caf_per_year[year] += amount
        for year, amount in other.local_per_year.items():
            self.local_per_year[year] += amount


@dataclass
class Group:
    """A CAF (None: the conventions without one) and its conventions on the page, with its
    subtotals across all its conventions the overview selects (those of other pages too)."""

    caf: Partner | None
    count: int
    figures: Figures
    rows: list[tuple[Convention, Figures]] = field(default_factory=list)


# What the figures are gathered by: the convention, or its CAF (None for those without).
KEYS = {
    "convention": ("convention_id", "line__convention_id"),
    "caf": ("convention__caf", "line__convention__caf"),
}


def collect(
    convention_filter: Collection[int] | QuerySet[Convention, Any],
    today: datetime.date,
    by: str = "convention",
) -> defaultdict[int | None, Figures]:
    """{convention id (or CAF id, `by="caf"`): Figures} for the conventions selected by
    `convention_filter`; three queries whatever their number."""
    sheet_key, amount_key = KEYS[by]
    figures: defaultdict[int | None, Figures] = defaultdict(Figures)
    sheets = ActionSheet.objects.active().filter(convention__in=convention_filter)
    for row in (
        sheets.order_by()
        .values(group_key=F(sheet_key), sheet_status=F("status"))
        .annotate(count=Count("id"), progress=Sum("progress"))
    ):
        item = figures[row["group_key"]]
        item.statuses[row["sheet_status"]] += row["count"]
        item.progress_sum += row["progress"] or 0
    for row in (
        sheets.overdue(today).order_by().values(group_key=F(sheet_key)).annotate(count=Count("id"))
    ):
        figures[row["group_key"]].late += row["count"]
    for row in (
        FundingAmount.objects.filter(line__convention__in=convention_filter)
        .order_by()
        .values(group_key=F(amount_key), amount_year=F("year"), funder_kind=F("line__funder__kind"))
        .annotate(total=Sum("planned"))
    ):
        item = figures[row["group_key"]]
        bucket = (
            item.local_per_year if row["funder_kind"] in LOCAL_SHARE_KINDS else item.caf_per_year
        )
        bucket[row["amount_year"]] += row["total"]
    return figures


class OverviewFilterForm(forms.Form):
    """The overview's filters; the names are the query string's, in French like the URLs.
    The options are the CAFs and départements of the conventions the user may open: a value
    outside them (a stale or forged link) is an "invalid choice", shown and ignored."""

    caf = SafeModelChoiceField(
        label=_("CAF"),
        queryset=Partner.objects.none(),
        required=False,
        empty_label=_("All CAFs"),
    )
    departement = forms.ChoiceField(label=_("Département"), required=False)
    statut = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(
        self, data: QueryDict, *, conventions: ConventionQuerySet, today: datetime.date
    ) -> None:
        super().__init__(data)
        self.today = today
        # One query gives the options of the fields and the number of conventions per CAF,
        # département and status: (CAF id, CAF name, département, status, count).
        self.facets = list(
            conventions.with_status(today)
            .order_by()
            .values_list("caf_id", "caf__name", "department", "computed_status")
            .annotate(n=Count("pk"))
        )
        # The queryset checks a value sent (one query, only then); the options come from the
        # facets, with the same labels.
        caf_field = cast(SafeModelChoiceField, self.fields["caf"])
        caf_field.queryset = Partner.objects.filter(
            kind=Partner.Kind.CAF, pk__in=conventions.values("caf")
        )
        cafs = sorted({(name, pk) for pk, name, _d, _s, _n in self.facets if pk is not None})
        caf_field.choices = [("", _("All CAFs")), *((pk, name) for name, pk in cafs)]
        departments = sorted({d for _c, _name, d, _s, _n in self.facets if d})
        cast(forms.ChoiceField, self.fields["departement"]).choices = [
            ("", _("All départements")),
            *((d, d) for d in departments),
        ]
        statuses = {status for _c, _name, _d, status, _n in self.facets}
        cast(forms.ChoiceField, self.fields["statut"]).choices = [
            ("", _("All statuses")),
            *((value, label) for value, label in Convention.Status.choices if value in statuses),
        ]

    @property
    def chosen(self) -> dict[str, Any]:
        """The valid filters' values."""
        self.is_valid()
        return getattr(self, "cleaned_data", {})

    def filter(self, conventions: ConventionQuerySet) -> QuerySet[Convention]:
        """The conventions the valid filters keep, grouped by CAF (by name, those without
        one last), by title within a CAF; an invalid value is ignored, never a 500."""
        data = self.chosen
        if data.get("caf"):
            conventions = conventions.filter(caf=data["caf"])
        if data.get("departement"):
            conventions = conventions.filter(department=data["departement"])
        with_status = conventions.with_status(self.today)
        if data.get("statut"):
            with_status = with_status.filter(Q(computed_status=data["statut"]))
        return with_status.select_related("caf").order_by(
            F("caf__name").asc(nulls_last=True), "caf_id", "title", "pk"
        )

    def group_counts(self) -> dict[int | None, int]:
        """{CAF id (None: without a CAF): number of conventions the filters keep}."""
        data = self.chosen
        caf, department, status = data.get("caf"), data.get("departement"), data.get("statut")
        counts: defaultdict[int | None, int] = defaultdict(int)
        for caf_id, _name, row_department, row_status, count in self.facets:
            if (
                (caf is None or caf_id == caf.pk)
                and (not department or row_department == department)
                and (not status or row_status == status)
            ):
                counts[caf_id] += count
        return counts

    def query(self) -> str:
        """The valid filters as a query string, for the pages' links."""
        data = self.chosen
        values = {"caf": data["caf"].pk if data.get("caf") else None}
        values["departement"] = data.get("departement") or None
        values["statut"] = data.get("statut") or None
        return urlencode({k: v for k, v in values.items() if v})


def overview_rows(
    page_conventions: list[Convention],
    all_conventions: QuerySet[Convention],
    counts: dict[int | None, int],
) -> dict[str, Any]:
    """The page's conventions in their CAF's group with the group's subtotals, and the totals
    across every convention the overview selects (`counts`: their number per CAF); seven
    queries whatever their number."""
    today = timezone.localdate()
    figures = collect([c.pk for c in page_conventions], today)
    # The selected conventions' keys read first (one query): given as a list, PostgreSQL knows
    # how few they are and reads their sheets and amounts by index; as a subquery (members OR
    # CAF members) it expected three quarters of the portal and scanned every sheet.
    by_caf = collect(list(all_conventions.values_list("pk", flat=True)), today, by="caf")
    groups: list[Group] = []
    for convention in page_conventions:
        if not groups or groups[-1].caf != convention.caf:
            groups.append(
                Group(convention.caf, counts.get(convention.caf_id, 0), by_caf[convention.caf_id])
            )
        groups[-1].rows.append((convention, figures[convention.pk]))
    totals = Figures()
    for item in by_caf.values():
        totals.add(item)
    rows = [row for group in groups for row in group.rows]
    return {"rows": rows, "groups": groups, "totals": totals}
