"""What the renewal wizard reads of the old convention, in a fixed number of queries whatever
its size, and the preview of what a renewal will create (the same rules as
`renewals.services.renew`, computed without writing)."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Count, ExpressionWrapper, OuterRef, Q, Subquery

from actions.models import ActionSheet, Indicator, IndicatorValue
from conventions.models import Membership, Partner, Signatory
from funding.models import FundingAmount, FundingLine

if TYPE_CHECKING:
    from conventions.models import Challenge, Convention, Domain, StrategicObjective

    from .services import Choices


@dataclass
class Source:
    """The old convention and everything the wizard offers to carry over."""

    convention: Convention
    challenges: list[Challenge]
    objectives: list[StrategicObjective]
    domains: list[Domain]
    # Not archived, by number; annotated `is_finished` and `open_steps` (steps not done).
    sheets: list[ActionSheet]
    indicators: list[Indicator]  # of those sheets
    memberships: list[Membership]
    # Annotated `last_planned`: the planned amount of the old convention's last year.
    lines: Sequence[FundingLine]
    signatories: list[Signatory]
    epcis: list[Partner]


def source_of(convention: Convention) -> Source:
    """The old convention's items, each kind in one query."""
    finished = ActionSheet.objects.finished_condition()
    sheets = list(
        convention.action_sheets.active()
        .select_related("objective")
        .annotate(
            is_finished=ExpressionWrapper(finished, output_field=models.BooleanField()),
            open_steps=Count("steps", filter=Q(steps__done_on__isnull=True)),
        )
        .order_by("number")
    )
    indicators = list(
        Indicator.objects.filter(sheet__convention=convention, sheet__archived_at__isnull=True)
        .select_related("sheet")
        .order_by("sheet__number", "pk")
    )
    last_amount = FundingAmount.objects.filter(line=OuterRef("pk"), year=convention.end_year)
    lines = list(
        convention.funding_lines.select_related("funder", "structure")
        .annotate(last_planned=Subquery(last_amount.values("planned")[:1]))
        .order_by("position", "pk")
    )
    return Source(
        convention=convention,
        challenges=list(convention.challenges.order_by("position", "pk")),
        objectives=list(convention.objectives.order_by("number")),
        domains=list(convention.domains.order_by("position", "pk")),
        sheets=sheets,
        indicators=indicators,
        memberships=list(
            convention.memberships.select_related("user").order_by(
                "user__last_name", "user__first_name", "user__username"
            )
        ),
        lines=lines,
        signatories=list(convention.signatory_set.select_related("partner")),
        epcis=list(Partner.objects.filter(kind=Partner.Kind.EPCI).order_by("name")),
    )


def within(day: datetime.date | None, first: datetime.date, last: datetime.date) -> bool:
    """A step's due date is kept when it falls within the new period."""
    return day is not None and first <= day <= last


def new_numbers(sheets: list[ActionSheet], renumber: bool) -> dict[int, int]:
    """{old sheet id: its number in the new convention}: kept, or 1..n in the old order."""
    ordered = sorted(sheets, key=lambda sheet: sheet.number)
    if renumber:
        return {sheet.pk: index for index, sheet in enumerate(ordered, start=1)}
    return {sheet.pk: sheet.number for sheet in ordered}


@dataclass
class LinePreview:
    line: FundingLine
    amounts: list[tuple[int, Decimal]]  # (year, planned)

    @property
    def total(self) -> Decimal:
        return sum((amount for _year, amount in self.amounts), Decimal("0"))


@dataclass
class Preview:
    """What a renewal will create: the counts per kind and the lists shown before confirming."""

    years: list[int]
    challenges: list[Challenge]
    objectives: list[StrategicObjective]
    domains: list[Domain]
    sheets: list[tuple[ActionSheet, int]]  # (old sheet, new number)
    steps: int
    indicators: list[Indicator]
    memberships: list[Membership]
    signatories: list[Signatory]
    lines: list[LinePreview]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))

    @property
    def amount_count(self) -> int:
        return sum(len(line.amounts) for line in self.lines)

    def __post_init__(self) -> None:
        self.counts = {
            "objectives": len(self.objectives),
            "challenges": len(self.challenges),
            "domains": len(self.domains),
            "sheets": len(self.sheets),
            "steps": self.steps,
            "indicators": len(self.indicators),
            "members": len(self.memberships),
            "signatories": len(self.signatories),
            "lines": len(self.lines),
            "amounts": self.amount_count,
        }

    def fingerprint(self) -> str:
        """What the preview showed, as a digest: the confirmation carries it, and a renewal
        whose data changed meanwhile (a sheet saved, a step done, a line removed) is shown
        the new preview instead of writing what the user did not see."""
        seen = (
            self.years,
            [c.pk for c in self.challenges],
            [o.pk for o in self.objectives],
            [d.pk for d in self.domains],
            [(sheet.pk, sheet.version, number) for sheet, number in self.sheets],
            self.steps,
            [i.pk for i in self.indicators],
            [m.pk for m in self.memberships],
            [s.partner_id for s in self.signatories],
            [(line.line.pk, [str(amount) for _y, amount in line.amounts]) for line in self.lines],
        )
        return hashlib.sha256(repr(seen).encode()).hexdigest()


def preview(source: Source, choices: Choices) -> Preview:
    """What `renew(source.convention, choices, user)` will create, from the data already read
    (no query): the rules are those of the service, which the tests hold to the same counts."""
    sheets = [sheet for sheet in source.sheets if sheet.pk in choices.sheet_ids]
    numbers = new_numbers(sheets, choices.renumber)
    carried = {sheet.pk for sheet in sheets}
    years = list(range(choices.start_year, choices.end_year + 1))
    return Preview(
        years=years,
        challenges=[c for c in source.challenges if c.pk in choices.challenge_ids],
        objectives=[o for o in source.objectives if o.pk in choices.objective_ids],
        domains=[d for d in source.domains if d.pk in choices.domain_ids],
        sheets=[(sheet, numbers[sheet.pk]) for sheet in sheets],
        steps=sum(sheet.open_steps for sheet in sheets),  # type: ignore[attr-defined]
        indicators=[
            i for i in source.indicators if i.pk in choices.indicator_ids and i.sheet_id in carried
        ],
        memberships=[m for m in source.memberships if m.pk in choices.membership_ids],
        signatories=[s for s in source.signatories if s.partner_id in choices.signatory_ids],
        lines=[
            LinePreview(line, [(year, choices.amounts[line.pk][year]) for year in years])
            for line in source.lines
            if line.pk in choices.line_ids
        ],
    )


def last_values(indicator_ids: list[int]) -> dict[int, tuple[Decimal, datetime.date]]:
    """{indicator id: (its last measured value, its date)} for those that have one."""
    latest = IndicatorValue.objects.filter(indicator=OuterRef("pk")).order_by("-measured_on", "-pk")
    rows = (
        Indicator.objects.filter(pk__in=indicator_ids)
        .annotate(
            last_value=Subquery(latest.values("value")[:1]),
            last_date=Subquery(latest.values("measured_on")[:1]),
        )
        .filter(last_date__isnull=False)
        .values_list("pk", "last_value", "last_date")
    )
    return {pk: (value, day) for pk, value, day in rows}
