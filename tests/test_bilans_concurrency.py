"""Concurrent writes of the yearly reviews on PostgreSQL: two validations at once, a validation
and an edit at once, two edits, two first saves of one review, one form posted twice at once,
two syntheses. Each time exactly one goes through and the other is refused with what changed
(409) or told it was already done; nothing is lost or written twice, never a 500.

Each thread is a browser of its own (a test Client with its own database connection) and all
post at the same instant (a barrier), as in tests/test_committees_concurrency.py.
"""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.urls import reverse

from bilans.models import SheetReview, YearBilan

from .helpers import once, post_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"
    ),
]

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
SLUG = "thore-montagne-noire-2023-2025"


def url(name="review", number=1):
    return reverse(f"bilans:{name}", args=[SLUG, 2024, number])


def payload(version, **fields):
    data = {
        "achievements": "Ateliers ouverts.",
        "difficulties": "",
        "adjustments": "",
        "proposed_status": "",
        "comment": "",
        "version": version,
        "action": "save",
        "submission": once(),
    }
    data.update(fields)
    return data


@pytest.fixture
def submitted(seeded):
    return SheetReview.objects.create(
        sheet=seeded.action_sheets.get(number=1), year=2024, state="submitted"
    )


@pytest.fixture
def second_coordinator(seeded):
    from conventions.models import Membership

    from .factories import MembershipFactory, UserFactory

    user = UserFactory(username="coordination2")
    MembershipFactory(user=user, convention=seeded, role=Membership.Role.COORDINATOR)
    return user


def test_two_validations_at_once(submitted, coordinator, second_coordinator):
    data = [{"version": 1, "meeting": "", "submission": once()} for _ in range(2)]
    responses = post_together(
        [
            (coordinator, url("validate"), data[0]),
            (second_coordinator, url("validate"), data[1]),
        ]
    )
    assert sorted(r.status_code for r in responses) == [302, 409]
    refused = next(r for r in responses if r.status_code == 409).content.decode()
    assert "a été modifié par quelqu’un d’autre" in refused
    submitted.refresh_from_db()
    assert (submitted.state, submitted.version) == ("validated", 2)
    assert submitted.history.filter(state="validated").count() == 1


def test_a_validation_and_an_edit_at_once(submitted, coordinator, pilot):
    responses = post_together(
        [
            (coordinator, url("validate"), {"version": 1, "meeting": "", "submission": once()}),
            (pilot, url(), payload(1, achievements="Modifié par la pilote")),
        ]
    )
    statuses = [r.status_code for r in responses]
    submitted.refresh_from_db()
    assert submitted.version == 2
    if statuses[0] == 302:
        # Validated first: the edit is refused, the review kept as validated — 409 when the
        # edit had read the review before the validation, 403 (locked) when after it.
        assert statuses[1] in (403, 409)
        assert (submitted.state, submitted.achievements) == ("validated", "")
        assert "verrouillé" in responses[1].content.decode()
    else:  # edited first: the validation is refused, to be done on the new text
        assert statuses == [409, 302]
        assert (submitted.state, submitted.achievements) == ("submitted", "Modifié par la pilote")


def test_two_edits_at_once_none_lost(submitted, coordinator, pilot):
    responses = post_together(
        [
            (coordinator, url(), payload(1, comment="Coordination")),
            (pilot, url(), payload(1, comment="Pilote")),
        ]
    )
    assert sorted(r.status_code for r in responses) == [302, 409]
    refused = next(r for r in responses if r.status_code == 409).content.decode()
    assert "Enregistré entre-temps par quelqu’un d’autre" in refused
    submitted.refresh_from_db()
    winner = "Coordination" if responses[0].status_code == 302 else "Pilote"
    assert (submitted.comment, submitted.version) == (winner, 2)


def test_two_first_saves_at_once(seeded, coordinator, pilot):
    responses = post_together(
        [
            (coordinator, url(), payload(0, comment="Coordination")),
            (pilot, url(), payload(0, comment="Pilote")),
        ]
    )
    assert sorted(r.status_code for r in responses) == [302, 409]
    review = SheetReview.objects.get()
    assert review.version == 1
    assert review.comment == ("Coordination" if responses[0].status_code == 302 else "Pilote")


def test_one_form_posted_twice_at_once_writes_once(submitted, pilot):
    data = payload(1, comment="Une fois")
    responses = post_together([(pilot, url(), data), (pilot, url(), data)])
    assert [r.status_code for r in responses] == [302, 302]
    submitted.refresh_from_db()
    assert (submitted.comment, submitted.version) == ("Une fois", 2)
    assert submitted.history.count() == 2  # the creation and one save


def test_two_syntheses_at_once(seeded, coordinator, second_coordinator):
    year = reverse("bilans:year", args=[SLUG, 2024])
    responses = post_together(
        [
            (coordinator, year, {"synthesis": "A", "version": 0, "submission": once()}),
            (second_coordinator, year, {"synthesis": "B", "version": 0, "submission": once()}),
        ]
    )
    assert sorted(r.status_code for r in responses) == [302, 409]
    bilan = YearBilan.objects.get()
    assert bilan.synthesis == ("A" if responses[0].status_code == 302 else "B")
    assert bilan.version == 1


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    # Not frozen still (tick): the threads' records need distinct, ordered dates.
    time_machine.move_to(datetime.datetime(2025, 6, 16, 10, 0, tzinfo=PARIS), tick=True)
