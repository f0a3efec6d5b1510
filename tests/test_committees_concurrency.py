"""Concurrent writes of the meetings on PostgreSQL: two decisions changing one sheet at once,
a decision and a sheet's note at once, two edits of one meeting, a decision posted twice at
once, two state changes at once. Each time exactly one goes through and the other is refused
(or told it was already done); nothing is lost or written twice.

Each thread is a browser of its own (a test Client with its own database connection) and all
post at the same instant (a barrier), as in tests/test_concurrency.py.
"""

import pytest
from django.db import connection
from django.urls import reverse

from actions.models import ActionSheet
from committees.models import Decision

from .helpers import once, post_together
from .test_committees import decision_payload, make_meeting, meeting_payload, meeting_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"
    ),
]

SLUG = "thore-montagne-noire-2023-2025"


@pytest.fixture
def meeting(seeded):
    return make_meeting(seeded)


def sheet_of(convention, number):
    return ActionSheet.objects.get(convention=convention, number=number)


def test_two_decisions_changing_one_sheet_at_once(meeting, coordinator):
    sheet = sheet_of(meeting.convention, 5)
    url = meeting_url("decision_add", meeting)
    first = decision_payload(meeting.convention, sheets=[sheet.pk], new_status="in_progress")
    second = decision_payload(
        meeting.convention, sheets=[sheet.pk], new_status="abandoned", text="Abandonner"
    )
    responses = post_together([(coordinator, url, first), (coordinator, url, second)])
    assert sorted(r.status_code for r in responses) == [302, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert "Fiche 5" in refused.content.decode()
    assert Decision.objects.count() == 1
    decision = Decision.objects.get()
    sheet.refresh_from_db()
    assert sheet.version == 2
    assert sheet.status == decision.new_status
    reasons = list(
        sheet.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )
    assert reasons.count("décision du COPIL du 14/03/2025") == 1


def test_a_decision_and_a_note_changing_one_sheet_at_once(meeting, coordinator, pilot):
    sheet = sheet_of(meeting.convention, 2)  # piloted by `pilot`
    decision = decision_payload(meeting.convention, sheets=[sheet.pk], new_status="blocked")
    note = {
        "written_on": "2025-03-01",
        "text": "Point d’avancement.",
        "status": "in_progress",
        "progress": "30",
        "version": sheet.version,
        "submission": once(),
    }
    responses = post_together(
        [
            (coordinator, meeting_url("decision_add", meeting), decision),
            (pilot, reverse("actions:note_add", args=[SLUG, 2]), note),
        ]
    )
    assert sorted(r.status_code for r in responses) == [302, 409]
    sheet.refresh_from_db()
    assert sheet.version == 2
    if Decision.objects.exists():
        assert sheet.status == "blocked" and not sheet.notes.exists()
    else:
        assert sheet.status == "in_progress" and sheet.notes.count() == 1


def test_two_edits_of_one_meeting_at_once(meeting, coordinator, superuser):
    url = meeting_url("edit", meeting)
    mine = meeting_payload(meeting, title="Titre A")
    theirs = meeting_payload(meeting, place="Salle B")
    responses = post_together([(coordinator, url, mine), (superuser, url, theirs)])
    assert sorted(r.status_code for r in responses) == [302, 409]
    meeting.refresh_from_db()
    assert meeting.version == 2
    assert (meeting.title == "Titre A") != (meeting.place == "Salle B")
    assert meeting.history.count() == 2


def test_a_decision_posted_twice_at_once_is_recorded_once(meeting, coordinator):
    sheet = sheet_of(meeting.convention, 6)
    data = decision_payload(meeting.convention, sheets=[sheet.pk], new_status="in_progress")
    url = meeting_url("decision_add", meeting)
    responses = post_together([(coordinator, url, data), (coordinator, url, data)])
    assert [r.status_code for r in responses] == [302, 302]
    assert Decision.objects.count() == 1
    sheet.refresh_from_db()
    assert sheet.version == 2 and sheet.status == "in_progress"


def test_two_state_changes_at_once_write_once(meeting, coordinator, superuser):
    decision = Decision.objects.create(meeting=meeting, text="À faire")
    url = meeting_url("decision_state", meeting, decision.pk)
    responses = post_together(
        [(coordinator, url, {"state": "done"}), (superuser, url, {"state": "done"})]
    )
    assert [r.status_code for r in responses] == [302, 302]
    decision.refresh_from_db()
    assert decision.state == "done" and decision.version == 2
    assert decision.history.count() == 2
