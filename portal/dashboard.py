"""The figures of a convention's dashboard, in a fixed number of queries.

A convention holds a few dozen sheets: they are loaded once, with their lateness, and every
count and average is taken from that list; funding comes from `funding_table` (two queries).
Each figure is computed once (cached properties): the page and its charts read them several
times. The committees' part (`steering` for members, `public_steering` for the public page)
is read when a page shows it: three queries for members, four for the public page.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Count, F, Model, Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from actions.models import ActionSheet, ProgressNote, Step
from actions.queries import with_status_badges
from committees.models import Decision, DecisionQuerySet, Meeting
from committees.queries import labels_of
from conventions.models import Challenge, Domain, StrategicObjective
from ctg_portal.formatting import format_moment
from documents.models import Document
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
# The members' dashboard lists the first open decisions (the overdue ones first) and counts
# the rest; the public page shows the next and the latest publishable meetings, and the
# latest publishable documents.
OPEN_DECISIONS_SHOWN = 8
PUBLIC_MEETINGS_SHOWN = 5
PUBLIC_DOCUMENTS_SHOWN = 30


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
class Steering:
    """The committees on the members' dashboard: the next meeting, the open decisions."""

    next_meeting: Meeting | None
    open_decisions: list[Decision]  # the first OPEN_DECISIONS_SHOWN, the overdue ones first
    open_count: int
    overdue_count: int

    @property
    def more_count(self) -> int:
        """The open decisions not listed."""
        return self.open_count - len(self.open_decisions)


def steering_of(convention: Convention, now: datetime.datetime, today: datetime.date) -> Steering:
    """The next meeting (not cancelled, soonest first) and the open decisions of the
    convention, each with `is_overdue`, its meeting and its owner: three queries."""
    next_meeting = (
        Meeting.objects.filter(convention=convention)
        .upcoming(now)
        .not_cancelled()
        .order_by("starts_at", "pk")
        .first()
    )
    if next_meeting is not None:
        next_meeting.moment = format_moment(next_meeting.starts_at)
    decisions = Decision.objects.filter(meeting__convention=convention).open()
    shown = list(
        decisions.with_overdue(today)
        .select_related("meeting", "owner")
        .order_by(
            F("is_overdue").desc(), F("due_on").asc(nulls_last=True), "meeting__starts_at", "pk"
        )[:OPEN_DECISIONS_SHOWN]
    )
    counts = decisions.aggregate(
        total=Count("pk"), overdue=Count("pk", filter=Q(**DecisionQuerySet.overdue_lookups(today)))
    )
    return Steering(
        next_meeting=next_meeting,
        open_decisions=shown,
        open_count=counts["total"],
        overdue_count=counts["overdue"],
    )


@dataclass
class PublicSteering:
    """The committees on the public page: publishable meetings (never cancelled ones) with
    their decisions, and publishable documents — no names, no attendance, no minutes."""

    upcoming: list[Meeting]  # soonest first, each with `decision_list`
    past: list[Meeting]  # latest first, each with `decision_list`
    documents: list[Document]  # latest first, at most PUBLIC_DOCUMENTS_SHOWN
    more_documents: bool  # some publishable documents are not listed


def public_steering_of(
    convention: Convention, now: datetime.datetime, today: datetime.date
) -> PublicSteering:
    """Four queries: the upcoming and the past publishable meetings, their decisions, the
    publishable documents. Only the fields the public may read are loaded."""
    meetings = (
        Meeting.objects.filter(convention=convention, is_public=True)
        .not_cancelled()
        .only("pk", "convention", "kind", "title", "starts_at", "place", "state")
    )
    upcoming = list(meetings.upcoming(now).order_by("starts_at", "pk")[:PUBLIC_MEETINGS_SHOWN])
    past = list(meetings.past(now).order_by("-starts_at", "-pk")[:PUBLIC_MEETINGS_SHOWN])
    by_meeting: defaultdict[int, list[Decision]] = defaultdict(list)
    decisions = (
        Decision.objects.filter(meeting__in=[m.pk for m in upcoming + past])
        .with_overdue(today)
        .only("pk", "meeting", "text", "state", "due_on")
        .order_by("pk")
    )
    states = labels_of(Decision.State.choices)
    for decision in decisions:
        decision.state_label = states.get(decision.state, decision.state)
        by_meeting[decision.meeting_id].append(decision)
    kinds = labels_of(Meeting.Kind.choices)
    for meeting in upcoming + past:
        meeting.kind_label = kinds.get(meeting.kind, meeting.kind)
        meeting.moment = format_moment(meeting.starts_at)
        meeting.decision_list = by_meeting.get(meeting.pk, [])
    documents = list(
        Document.objects.of_convention(convention)
        .publishable()
        .only("pk", "convention", "kind", "title", "date", "file", "url", "size", "content_type")
        .order_by("-date", "-pk")[: PUBLIC_DOCUMENTS_SHOWN + 1]
    )
    return PublicSteering(
        upcoming=upcoming,
        past=past,
        documents=documents[:PUBLIC_DOCUMENTS_SHOWN],
        more_documents=len(documents) > PUBLIC_DOCUMENTS_SHOWN,
    )


@dataclass
class EndGroup:
    """Sheets that stood alike at the end of the period (`Dashboard.end_standing`)."""

    key: str
    label: StrOrPromise
    statuses: list[str]
    sheets: list[LateSheet] = field(default_factory=list)


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
    now: datetime.datetime
    public: bool

    @cached_property
    def steering(self) -> Steering:
        """The members' part on the committees (owners' names included): never public."""
        if self.public:
            raise ValueError("The public page shows no owner of decisions.")
        return steering_of(self.convention, self.now, self.today)

    @cached_property
    def public_steering(self) -> PublicSteering:
        return public_steering_of(self.convention, self.now, self.today)

    @cached_property
    def year(self) -> int:
        return self.convention.current_year(self.today)

    @property
    def period_over(self) -> bool:
        return self.convention.has_ended(self.today)

    @cached_property
    def end_standing(self) -> list[EndGroup]:
        """Where the sheets stood when the period ended (nothing is late after it): done, in
        progress (paused and blocked included, each with its progress), not started,
        abandoned."""
        status = ActionSheet.Status
        groups = [
            EndGroup("done", pgettext_lazy("end of period", "completed"), [status.DONE]),
            EndGroup(
                "in_progress",
                pgettext_lazy("end of period", "in progress"),
                [status.IN_PROGRESS, status.PAUSED, status.BLOCKED],
            ),
            EndGroup("todo", pgettext_lazy("end of period", "not started"), [status.TODO]),
            EndGroup("abandoned", pgettext_lazy("end of period", "abandoned"), [status.ABANDONED]),
        ]
        for sheet in self.sheets:
            for group in groups:
                if sheet.status in group.statuses:
                    group.sheets.append(sheet)
        in_progress = groups[1].sheets
        in_progress.sort(key=lambda s: (-s.progress, s.number))
        return groups

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
    convention: Convention,
    *,
    public: bool = False,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Dashboard:
    """Every figure of the dashboard. `public`: only publishable notes, no personal data.

    `now` (what is upcoming) defaults to the start of `today` when only `today` is given."""
    if now is None:
        now = (
            timezone.now()
            if today is None
            else timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
        )
    today = today or timezone.localdate(now)
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
        now=now,
        public=public,
    )
