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
