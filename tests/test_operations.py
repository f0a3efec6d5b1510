"""Operations on whole conventions: the bulk dataset generator."""

import datetime

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from actions.models import IndicatorValue, ProgressNote, Step
from funding.models import Payment
from operations.management.commands.generate_dataset import generate

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 5, 1)


@pytest.mark.time_machine(datetime.datetime(2024, 5, 1, 12, 0), tick=False)
def test_generated_data_never_dated_in_the_future():
    generate(4, seed=3, prefix="op")
    assert Step.objects.filter(done_on__isnull=False).exists()
    assert not Step.objects.filter(done_on__gt=TODAY).exists()
    assert not ProgressNote.objects.filter(written_on__gt=TODAY).exists()
    assert not IndicatorValue.objects.filter(measured_on__gt=TODAY).exists()
    assert not Payment.objects.filter(paid_on__gt=TODAY).exists()
    assert Payment.objects.exists()


@pytest.mark.time_machine(datetime.datetime(2024, 5, 1, 12, 0), tick=False)
def test_generated_meetings_decisions_and_documents():
    from committees.models import AgendaItem, Attendance, Decision, Meeting
    from conventions.models import Convention
    from documents.models import Document

    # In bulk: a few queries per table (batches), not one per row.
    with CaptureQueriesContext(connection) as without:
        generate(30, seed=3, prefix="none", meetings=0)
    with CaptureQueriesContext(connection) as with_steering:
        generate(30, seed=3, prefix="many", meetings=6)
    assert len(with_steering) - len(without) <= 40
    conventions = Convention.objects.filter(slug__startswith="many-")
    meetings = Meeting.objects.filter(convention__in=conventions)
    assert meetings.count() == 30 * 6
    assert set(meetings.values_list("kind", flat=True)) == {"copil", "cotech"}
    # Held when past, planned when to come; nothing done is dated after today.
    now = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC)
    assert not meetings.filter(state="held", starts_at__gt=now).exists()
    assert not meetings.filter(state="planned", starts_at__lt=now).exists()
    decisions = Decision.objects.filter(meeting__in=meetings)
    assert decisions.count() == 30 * 6 * 2
    assert not decisions.exclude(state="open").filter(due_on__gt=TODAY).exists()
    assert decisions.filter(state="done").exists() and decisions.overdue(TODAY).exists()
    # Every decision and agenda item names a sheet of its own convention.
    for model in (Decision, AgendaItem):
        rows = model.sheets.through.objects.filter(
            **{f"{model._meta.model_name}__in": model.objects.filter(meeting__in=meetings)}
        )
        assert rows.count() == model.objects.filter(meeting__in=meetings).count()
        field = model._meta.model_name
        assert not rows.exclude(
            **{f"{field}__meeting__convention": models.F("actionsheet__convention")}
        ).exists()
    assert Attendance.objects.filter(meeting__in=meetings, partner__kind="caf").count() == 180
    documents = Document.objects.filter(convention__in=conventions)
    assert documents.count() == 60 and not documents.exclude(file="").exists()
    assert documents.filter(meeting__isnull=False).count() == 30
    assert Convention.objects.filter(slug__startswith="none-").count() == 30
    assert not Meeting.objects.filter(convention__slug__startswith="none-").exists()


@pytest.mark.time_machine(datetime.datetime(2024, 5, 1, 12, 0), tick=False)
def test_generated_bilans_and_evaluations():
    from bilans.models import SheetReview, YearBilan
    from bilans.queries import sheet_year, year_figures
    from conventions.models import Convention
    from evaluations.models import Evaluation, ObjectiveEvaluation

    # In bulk: a few queries per table, not one per row.
    with CaptureQueriesContext(connection) as without:
        generate(30, seed=3, prefix="none", meetings=0, bilans=False)
    with CaptureQueriesContext(connection) as with_bilans:
        generate(30, seed=3, prefix="many", meetings=0)
    assert len(with_bilans) - len(without) <= 30
    assert not SheetReview.objects.filter(sheet__convention__slug__startswith="none-").exists()
    conventions = Convention.objects.filter(slug__startswith="many-")
    reviews = SheetReview.objects.filter(sheet__convention__in=conventions)
    # Every sheet has a validated review of each year ended, and the current year's under way.
    for convention in conventions:
        sheets = convention.action_sheets.count()
        for year in range(convention.start_year, min(convention.end_year, 2024) + 1):
            of_year = reviews.filter(sheet__convention=convention, year=year)
            if year < 2024:
                assert of_year.filter(state="validated").count() == sheets
            else:
                assert not of_year.filter(state="validated").exists()
                assert of_year.count() <= sheets
        assert not reviews.filter(sheet__convention=convention, year__gt=2024).exists()
        ended = range(convention.start_year, min(convention.end_year + 1, 2024))
        assert sorted(convention.bilans.values_list("year", flat=True)) == list(ended)
    assert reviews.filter(year=2024, state="submitted").exists()
    assert reviews.filter(year=2024, state="draft").exists()
    assert not reviews.filter(
        validated_at__gt=datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC)
    ).exists()
    assert YearBilan.objects.filter(convention__in=conventions).exists()
    # Evaluations once the last year has come, with a few answers resting on indicators.
    evaluations = Evaluation.objects.filter(convention__in=conventions)
    assert set(evaluations.values_list("convention__end_year", flat=True)) <= {2023, 2024}
    assert evaluations.count() == conventions.filter(end_year__lte=2024).count() > 0
    answers = ObjectiveEvaluation.objects.filter(evaluation__in=evaluations)
    assert answers.count() == 4 * evaluations.count()
    linked = answers.filter(indicators__isnull=False)
    assert linked.count() == 2 * evaluations.count()
    assert not linked.exclude(indicators__sheet__objective=models.F("objective")).exists()
    # The figures "as of 31/12" count the sheets (one history record each, at the signature).
    convention = conventions.filter(start_year__lte=2022).first()
    figures = year_figures(convention, convention.start_year)
    assert figures.sheet_total == convention.action_sheets.count()
    sheet = convention.action_sheets.first()
    assert sheet_year(sheet, convention.start_year).record.status == sheet.status
    indicator = sheet.indicators.get()
    assert indicator.target_for(convention.end_year) == indicator.target
    assert len(indicator.yearly_targets) == len(convention.years)


def test_generated_convention_of_300_sheets():
    from conventions.models import Convention

    generate(1, seed=3, prefix="big", meetings=1, sheets=300)
    assert Convention.objects.get(slug="big-ctg-0000").action_sheets.count() == 300
