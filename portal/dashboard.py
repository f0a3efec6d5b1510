"""The figures of a convention's dashboard, in a fixed number of queries.

A convention holds a few dozen sheets: they are loaded once, with their lateness, and every
count and average is taken from that list; funding comes from `funding_table` (two queries).
Each figure is computed once (cached properties): the page and its charts read them several
times.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import F, Model
from django.utils import timezone

from actions.models import ActionSheet, ProgressNote, Step
from actions.queries import with_status_badges
from conventions.models import Challenge, Domain, StrategicObjective
from funding.reports import funding_table

if TYPE_CHECKING:
    from collections.abc import Iterable
    from decimal import Decimal
    from typing import TypedDict

    from django_stubs_ext import StrOrPromise, WithAnnotations

    from conventions.models import Convention
    from funding.models import FundingLine
    from funding.reports import FundingTable

    class Lateness(TypedDict):
        has_late_step: bool
        is_late: bool
        next_step_title: str | None
        next_step_due: datetime.date | None

    # A sheet of `with_lateness` and `with_next_step`.
    LateSheet = WithAnnotations[ActionSheet, Lateness]

M = TypeVar("M", bound=Model)

UPCOMING_DAYS = 30


def average(values: Iterable[int]) -> int | None:
    values = list(values)
    if not values:
        return None
    return round(sum(values) / len(values))


@dataclass
class ProgressGroup:
    """Sheets gathered under an objective or a domain."""

    key: StrategicObjective | Domain
    sheets: list[LateSheet] = field(default_factory=list)

    @cached_property
    def progress(self) -> int | None:
        return average(s.progress for s in self.sheets)

    @cached_property
    def late(self) -> int:
        return sum(1 for s in self.sheets if s.is_late)


@dataclass
class Dashboard:
    convention: Convention
    today: datetime.date
    sheets: list[LateSheet]
    objectives: list[StrategicObjective]
    objective_challenges: dict[int, list[Challenge]]  # objective id → [challenge]
    domains: list[Domain]  # the domains of the sheets, in the convention's order
    sheet_domains: dict[int, list[Domain]]  # sheet id → [domain]
    upcoming_steps: list[Step]
    notes: list[ProgressNote]
    funding: FundingTable

    @cached_property
    def year(self) -> int:
        return self.convention.current_year(self.today)

    @property
    def period_over(self) -> bool:
        return self.today.year > self.convention.end_year

    @property
    def period_not_started(self) -> bool:
        return self.today.year < self.convention.start_year

    @cached_property
    def status_counts(self) -> list[tuple[str, StrOrPromise, int]]:
        counts = Counter(s.status for s in self.sheets)
        return [(value, label, counts.get(value, 0)) for value, label in ActionSheet.Status.choices]

    @property
    def sheet_count(self) -> int:
        return len(self.sheets)

    @cached_property
    def average_progress(self) -> int | None:
        return average(s.progress for s in self.sheets)

    @cached_property
    def late_sheets(self) -> list[LateSheet]:
        return [s for s in self.sheets if s.is_late]

    @cached_property
    def late_or_blocked(self) -> list[LateSheet]:
        """The sheets that need the committee's attention: the blocked ones, then the late."""
        blocked = ActionSheet.Status.BLOCKED
        flagged = [s for s in self.sheets if s.is_late or s.status == blocked]
        return sorted(flagged, key=lambda s: s.status != blocked)

    @cached_property
    def blocked_count(self) -> int:
        return sum(1 for s in self.sheets if s.status == ActionSheet.Status.BLOCKED)

    @cached_property
    def year_index(self) -> int:
        return self.funding.years.index(self.year)

    @property
    def caf_this_year(self) -> Decimal:
        return self.funding.caf.per_year[self.year_index]

    @property
    def caf_total(self) -> Decimal:
        return self.funding.caf.total

    @cached_property
    def lines_this_year(self) -> list[tuple[FundingLine, Decimal]]:
        """(line, amount) for the current year, largest first."""
        rows = [(row.line, row.amounts[self.year_index]) for row in self.funding.rows]
        return sorted(rows, key=lambda pair: pair[1], reverse=True)

    @cached_property
    def per_year(self) -> list[tuple[int, Decimal, Decimal, Decimal]]:
        return list(
            zip(
                self.funding.years,
                self.funding.caf.per_year,
                self.funding.local.per_year,
                self.funding.per_year,
                strict=True,
            )
        )

    @cached_property
    def by_objective(self) -> list[ProgressGroup]:
        groups = {o.pk: ProgressGroup(o) for o in self.objectives}
        for sheet in self.sheets:
            groups[sheet.objective_id].sheets.append(sheet)
        return list(groups.values())

    @cached_property
    def by_domain(self) -> list[ProgressGroup]:
        groups = {d.pk: ProgressGroup(d) for d in self.domains}
        for sheet in self.sheets:
            for domain in self.sheet_domains.get(sheet.pk, ()):
                groups[domain.pk].sheets.append(sheet)
        return list(groups.values())

    @cached_property
    def tree(
        self,
    ) -> list[tuple[Challenge | None, list[tuple[StrategicObjective, list[LateSheet]]]]]:
        """[(enjeu, [(objective, [sheets])])] in the convention's order.

        An objective serving several enjeux appears under each of them.
        """
        by_objective = {group.key.pk: group.sheets for group in self.by_objective}
        challenges: dict[int, Challenge] = {}
        children: defaultdict[int, list[tuple[StrategicObjective, list[LateSheet]]]] = defaultdict(
            list
        )
        for objective in self.objectives:
            for challenge in self.objective_challenges.get(objective.pk, ()):
                challenges[challenge.pk] = challenge
                children[challenge.pk].append((objective, by_objective[objective.pk]))
        ordered = sorted(challenges.values(), key=lambda c: (c.position, c.pk))
        tree: list[tuple[Challenge | None, list[tuple[StrategicObjective, list[LateSheet]]]]] = [
            (c, children[c.pk]) for c in ordered
        ]
        orphans = [
            (o, by_objective[o.pk])
            for o in self.objectives
            if o.pk not in self.objective_challenges
        ]
        if orphans:
            tree.append((None, orphans))
        return tree


def links(
    through: type[Any],  # an auto-created many-to-many table
    filters: dict[str, Any],
    source: str,
    target: str,
    model: type[M],
    fields: list[str],
) -> dict[int, list[M]]:
    """{source id: [target]} from a many-to-many table, the targets built from `fields` read
    through the join: one light query where prefetch_related costs three times as much."""
    result: defaultdict[int, list[M]] = defaultdict(list)
    targets: dict[int, M] = {}
    columns = [f"{target}__{name}" for name in fields]
    for source_id, target_id, *values in through.objects.filter(**filters).values_list(
        f"{source}_id", f"{target}_id", *columns
    ):
        if target_id not in targets:
            targets[target_id] = model(pk=target_id, **dict(zip(fields, values, strict=True)))
        result[source_id].append(targets[target_id])
    return dict(result)


def build_dashboard(
    convention: Convention, *, public: bool = False, today: datetime.date | None = None
) -> Dashboard:
    """Every figure of the dashboard. `public`: only publishable notes, no personal data."""
    today = today or timezone.localdate()
    sheets = with_status_badges(
        ActionSheet.objects.active()
        .filter(convention=convention)
        .with_lateness(today)
        .with_next_step()
        .order_by("number")
    )
    sheet_domains = links(
        ActionSheet.domains.through,
        {"actionsheet__convention": convention, "actionsheet__archived_at__isnull": True},
        "actionsheet",
        "domain",
        Domain,
        ["name", "position"],
    )
    objectives = list(StrategicObjective.objects.filter(convention=convention).order_by("number"))
    objective_challenges = links(
        StrategicObjective.challenges.through,
        {"strategicobjective__convention": convention},
        "strategicobjective",
        "challenge",
        Challenge,
        ["title", "position"],
    )
    domains = sorted(
        {d.pk: d for linked in sheet_domains.values() for d in linked}.values(),
        key=lambda d: (d.position, d.pk),
    )
    # Steps and notes show their sheet's number only (`sheet_number`), not the whole sheet.
    upcoming = list(
        Step.objects.filter(sheet__convention=convention)
        .upcoming(today, UPCOMING_DAYS)
        .annotate(sheet_number=F("sheet__number"))
        .order_by("due_on", "pk")
    )
    note_rows = ProgressNote.objects.filter(
        sheet__convention=convention, sheet__archived_at__isnull=True
    )
    # The public page shows publishable notes only, and never their authors.
    note_rows = note_rows.publishable() if public else note_rows.select_related("author")
    notes = list(
        note_rows.annotate(sheet_number=F("sheet__number")).order_by("-written_on", "-created_at")[
            :5
        ]
    )
    return Dashboard(
        convention=convention,
        today=today,
        sheets=sheets,
        objectives=objectives,
        objective_challenges=objective_challenges,
        domains=domains,
        sheet_domains=sheet_domains,
        upcoming_steps=upcoming,
        notes=notes,
        funding=funding_table(convention),
    )
