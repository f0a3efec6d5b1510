"""What the bilans pages read, each in a fixed number of queries whatever the number of sheets.

"As of 31/12" figures come from the sheets' history: the latest record of each sheet made
before the next year began, all sheets in one query. Steps, indicator values and notes carry
their own dates (done on, measured on, written on): the year is read from those.
"""

from __future__ import annotations

import datetime
import itertools
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import pgettext

from actions.history import author_name
from actions.models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step
from funding.reports import ZERO, funding_table

from .models import SheetReview, YearBilan

if TYPE_CHECKING:
    from conventions.models import Convention


def end_of_year(year: int) -> datetime.datetime:
    """The first moment of the next year (local time): "as of 31/12" means before it."""
    return datetime.datetime(year + 1, 1, 1, tzinfo=timezone.get_current_timezone())


def last_day(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


def records_as_of(year: int, **filters: Any) -> Any:
    """The latest history record of each sheet (matching `filters`) made before the end of
    `year`, in one query; sheets deleted by then left out."""
    history = ActionSheet.history.model
    end = end_of_year(year)
    latest = (
        history.objects.filter(id=OuterRef("id"), history_date__lt=end)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return (
        history.objects.filter(history_date__lt=end, **filters)
        .filter(history_id=Subquery(latest))
        .exclude(history_type="-")
    )


# --- the index -------------------------------------------------------------------------------


@dataclass
class YearLine:
    year: int
    begun: bool
    counts: dict = field(default_factory=dict)  # state → number of reviews

    @property
    def draft(self) -> int:
        return self.counts.get(SheetReview.State.DRAFT, 0)

    @property
    def submitted(self) -> int:
        return self.counts.get(SheetReview.State.SUBMITTED, 0)

    @property
    def validated(self) -> int:
        return self.counts.get(SheetReview.State.VALIDATED, 0)


def year_lines(convention: Convention, today: datetime.date) -> list[YearLine]:
    """Each year of the period, begun or not, with its reviews counted by state (one query)."""
    counts: dict[int, dict[str, int]] = {}
    rows = (
        SheetReview.objects.filter(sheet__convention=convention)
        .order_by()
        .values_list("year", "state")
        .annotate(n=Count("pk"))
    )
    for year, state, number in rows:
        counts.setdefault(year, {})[state] = number
    return [YearLine(year, year <= today.year, counts.get(year, {})) for year in convention.years]


# --- the year's page -------------------------------------------------------------------------


@dataclass
class ObjectiveGroup:
    objective: Any
    sheets: list


@dataclass
class IndicatorTally:
    reached: int = 0
    not_reached: int = 0
    no_value: int = 0

    @property
    def total(self) -> int:
        return self.reached + self.not_reached + self.no_value


@dataclass
class YearFigures:
    statuses: list  # [(label, count)] on 31/12, in the order of the statuses
    sheet_total: int
    steps_done: int
    indicators: IndicatorTally
    caf_planned: Decimal
    caf_paid: Decimal


def sheets_of_year(convention: Convention, year: int) -> list[ObjectiveGroup]:
    """The active sheets grouped by objective, each with `review_state` (None: no review)."""
    reviews = SheetReview.objects.filter(sheet=OuterRef("pk"), year=year)
    sheets = (
        ActionSheet.objects.filter(convention=convention)
        .active()
        .select_related("objective")
        .annotate(review_state=Subquery(reviews.values("state")[:1]))
        .order_by("objective__number", "number")
        .only("number", "title", "objective__number", "objective__title")
    )
    labels = dict(SheetReview.State.choices)
    groups = []
    for objective, rows in itertools.groupby(sheets, key=lambda sheet: sheet.objective):
        group = ObjectiveGroup(objective, list(rows))
        for sheet in group.sheets:
            state = sheet.review_state
            sheet.review_label = labels[state] if state else pgettext("bilan", "missing")
        groups.append(group)
    return groups


def last_values(indicators: Any, year: int) -> Any:
    """Annotate each indicator with its last value of `year` and the date it was measured."""
    values = IndicatorValue.objects.filter(
        indicator=OuterRef("pk"), measured_on__year=year
    ).order_by("-measured_on")
    return indicators.annotate(
        last_value=Subquery(values.values("value")[:1]),
        last_measured_on=Subquery(values.values("measured_on")[:1]),
    )


def year_figures(convention: Convention, year: int) -> YearFigures:
    """The figures of the year as of 31/12: sheets by status (history), steps done that year,
    indicators reached, the CAF's funding planned and paid for the year."""
    records = records_as_of(year, convention_id=convention.pk).filter(
        Q(archived_at__isnull=True) | Q(archived_at__gte=end_of_year(year))
    )
    by_status = Counter(records.values_list("status", flat=True))
    statuses = [(label, by_status[key]) for key, label in ActionSheet.Status.choices]
    steps_done = Step.objects.filter(sheet__convention=convention, done_on__year=year).count()
    tally = IndicatorTally()
    indicators = last_values(
        Indicator.objects.filter(sheet__convention=convention, sheet__archived_at__isnull=True),
        year,
    ).select_related("sheet__convention")
    for indicator in indicators:
        reached = indicator_reached(indicator, year)
        if reached is None:
            tally.no_value += 1
        elif reached:
            tally.reached += 1
        else:
            tally.not_reached += 1
    table = funding_table(convention)
    index = table.years.index(year)
    return YearFigures(
        statuses=statuses,
        sheet_total=sum(by_status.values()),
        steps_done=steps_done,
        indicators=tally,
        caf_planned=table.caf.per_year[index],
        caf_paid=sum((row.paid[index] for row in table.caf.rows), ZERO),
    )


def indicator_reached(indicator: Indicator, year: int) -> bool | None:
    """Whether the indicator's last value of `year` reaches its target for that year (None:
    no value, or no target)."""
    return indicator.is_reached(indicator.last_value, indicator.target_for(year))  # type: ignore[attr-defined]


def bilan_of(convention: Convention, year: int) -> YearBilan:
    """The year's bilan, or a new one (version 0: nothing written yet)."""
    bilan = YearBilan.objects.filter(convention=convention, year=year).first()
    if bilan is None:
        bilan = YearBilan(convention=convention, year=year, version=0)
    bilan.convention = convention
    return bilan


# --- a sheet's review ------------------------------------------------------------------------


@dataclass
class IndicatorLine:
    indicator: Indicator
    value: Decimal | None
    measured_on: datetime.date | None
    target: Decimal | None
    reached: bool | None

    @classmethod
    def of(cls, indicator: Any, year: int) -> IndicatorLine:
        """An indicator of `last_values` against its target for `year`."""
        return cls(
            indicator,
            indicator.last_value,
            indicator.last_measured_on,
            indicator.target_for(year),
            indicator_reached(indicator, year),
        )


@dataclass
class SheetYear:
    """What the portal computes of a sheet's year, as of 31/12."""

    record: Any  # the sheet's history record then, None when it did not exist yet
    steps_done: list
    steps_late: list
    indicators: list
    notes: list


def sheet_year(sheet: ActionSheet, year: int) -> SheetYear:
    end = last_day(year)
    record = records_as_of(year, id=sheet.pk).only("status", "progress", "history_date").first()
    steps = list(
        Step.objects.filter(sheet=sheet)
        .filter(
            Q(done_on__year=year)
            | (Q(due_on__lte=end) & (Q(done_on__isnull=True) | Q(done_on__gt=end)))
        )
        .order_by("position", "due_on", "pk")
    )
    indicators = []
    for indicator in last_values(Indicator.objects.filter(sheet=sheet), year):
        indicator.sheet = sheet  # its convention read once, with the sheet
        indicators.append(IndicatorLine.of(indicator, year))
    notes = list(
        ProgressNote.objects.filter(sheet=sheet, written_on__year=year)
        .select_related("author")
        .order_by("written_on", "created_at")
    )
    return SheetYear(
        record=record,
        steps_done=[step for step in steps if step.done_on and step.done_on.year == year],
        steps_late=[
            step
            for step in steps
            if step.due_on and step.due_on <= end and (step.done_on is None or step.done_on > end)
        ],
        indicators=indicators,
        notes=notes,
    )


@dataclass
class StateEntry:
    moment: Any
    author: str
    state: str
    label: str


STATE_WORDS = {
    SheetReview.State.DRAFT: "reopened",
    SheetReview.State.SUBMITTED: "submitted",
    SheetReview.State.VALIDATED: "validated",
}


def state_history(review: SheetReview) -> list[StateEntry]:
    """Each change of the review's state (submitted, validated, reopened), who and when, from
    its history, oldest first (one query)."""
    if review.pk is None:
        return []
    records = list(
        review.history.select_related("history_user").order_by("history_date", "history_id")
    )
    entries = []
    previous = SheetReview.State.DRAFT
    labels = {
        "submitted": pgettext("bilan", "Submitted"),
        "validated": pgettext("bilan", "Validated"),
        "reopened": pgettext("bilan", "Reopened"),
    }
    for record in records:
        if record.state != previous:
            word = STATE_WORDS[record.state]
            entries.append(StateEntry(record.history_date, author_name(record), word, labels[word]))
        previous = record.state
    return entries


# --- the year's report (PDF, DOCX, XLSX) -----------------------------------------------------


@dataclass
class SheetReport:
    """A sheet in the year's report: its review (None: not started), its status and progress
    on 31/12 (None: it did not exist yet), its steps done in the year and late on 31/12, its
    indicators against the year's targets."""

    sheet: ActionSheet
    review: SheetReview | None
    status: str | None
    progress: int | None
    steps_done: int
    steps_late: int
    indicators: list[IndicatorLine]

    @property
    def state(self) -> str:
        return self.review.state if self.review else ""

    @property
    def state_label(self) -> str:
        return str(self.review.get_state_display()) if self.review else pgettext("bilan", "missing")

    @property
    def status_label(self) -> str:
        return str(ActionSheet.Status(self.status).label) if self.status else ""

    @property
    def proposed_status_label(self) -> str:
        return str(self.review.get_proposed_status_display()) if self.review else ""


@dataclass
class ObjectiveReport:
    objective: Any
    sheets: list[SheetReport]


@dataclass
class YearReport:
    convention: Convention
    year: int
    bilan: YearBilan
    figures: YearFigures
    objectives: list[ObjectiveReport]

    @property
    def sheets(self) -> list[SheetReport]:
        return [sheet for group in self.objectives for sheet in group.sheets]


def year_report(convention: Convention, year: int) -> YearReport:
    """Everything the year's report shows, for every active sheet, in a fixed number of
    queries: the bilan, the year's figures (`year_figures`), the sheets, their reviews, their
    records on 31/12, their steps counted, their indicators with their last value of the year."""
    end = last_day(year)
    sheets = list(
        ActionSheet.objects.filter(convention=convention)
        .active()
        .select_related("objective")
        .order_by("objective__number", "number")
        .only("number", "title", "convention_id", "objective__number", "objective__title")
    )
    for sheet in sheets:
        sheet.convention = convention  # read by the indicators' target_for
    by_id = {sheet.pk: sheet for sheet in sheets}
    reviews = {
        review.sheet_id: review
        for review in SheetReview.objects.of_year(convention, year).select_related(
            "validated_by", "validated_meeting"
        )
    }
    then = {
        sheet_id: (status, progress)
        for sheet_id, status, progress in records_as_of(
            year, convention_id=convention.pk
        ).values_list("id", "status", "progress")
    }
    late = Q(due_on__lte=end) & (Q(done_on__isnull=True) | Q(done_on__gt=end))
    steps = {
        sheet_id: (done, late_count)
        for sheet_id, done, late_count in Step.objects.filter(sheet__convention=convention)
        .order_by()
        .values("sheet_id")
        .annotate(done=Count("pk", filter=Q(done_on__year=year)), late=Count("pk", filter=late))
        .values_list("sheet_id", "done", "late")
    }
    indicators: dict[int, list[IndicatorLine]] = {}
    for indicator in last_values(
        Indicator.objects.filter(
            sheet__convention=convention, sheet__archived_at__isnull=True
        ).order_by("sheet_id", "pk"),
        year,
    ):
        indicator.sheet = by_id[indicator.sheet_id]
        indicators.setdefault(indicator.sheet_id, []).append(IndicatorLine.of(indicator, year))
    groups = []
    for objective, rows in itertools.groupby(sheets, key=lambda sheet: sheet.objective):
        group = ObjectiveReport(objective, [])
        for sheet in rows:
            status, progress = then.get(sheet.pk, (None, None))
            done, late_count = steps.get(sheet.pk, (0, 0))
            group.sheets.append(
                SheetReport(
                    sheet,
                    reviews.get(sheet.pk),
                    status,
                    progress,
                    done,
                    late_count,
                    indicators.get(sheet.pk, []),
                )
            )
        groups.append(group)
    return YearReport(
        convention, year, bilan_of(convention, year), year_figures(convention, year), groups
    )
