"""Concurrent writes of the evaluation on PostgreSQL: two coordinators saving one objective's
questions at once, two conclusions at once, and one post sent twice at once. Each time exactly
one goes through and the other is refused with what changed (409), or told it was already
saved; nothing is lost or written twice.

Each thread is a browser of its own (a test Client with its own database connection) and all
post at the same instant (a barrier), as in tests/test_committees_concurrency.py.
"""

import datetime
import zoneinfo

import pytest
import time_machine
from django.db import connection

from evaluations.models import Evaluation, ObjectiveEvaluation

from .helpers import post_together
from .test_evaluations import EDIT, conclusion_payload, objective_payload, objective_url

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"
    ),
]


@pytest.fixture(autouse=True)
def _last_year():
    # The seed convention's last year (the evaluation is open); the clock ticks, as the
    # threads' sessions and tokens need.
    with time_machine.travel(datetime.datetime(2025, 6, 10, 10, 0, tzinfo=PARIS)):
        yield


@pytest.mark.parametrize("first_write", [True, False])
def test_two_saves_of_one_objective_at_once(seeded, coordinator, superuser, first_write):
    if not first_write:  # the rows exist already, at version 2
        response = post_together(
            [(coordinator, objective_url(1), objective_payload({"relevance": {"rating": 2}}))]
        )
        assert response[0].status_code == 302
    version = 1 if first_write else 2
    versions = dict.fromkeys(("relevance", "effectiveness", "efficiency", "durability"), version)
    mine = objective_payload({"relevance": {"rating": 1, "evidence": "Mien."}}, versions)
    theirs = objective_payload({"relevance": {"rating": 4, "evidence": "Leur."}}, versions)
    responses = post_together(
        [(coordinator, objective_url(1), mine), (superuser, objective_url(1), theirs)]
    )
    assert sorted(r.status_code for r in responses) == [302, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert "L’évaluation a été enregistrée par quelqu’un d’autre" in refused.content.decode()
    assert "Pertinence — Appréciation" in refused.content.decode()
    row = ObjectiveEvaluation.objects.get(question="relevance")
    winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
    assert row.rating == (1, 4)[winner] and row.version == version + 1
    assert Evaluation.objects.count() == 1 and ObjectiveEvaluation.objects.count() == 4
    assert row.history.filter(version=version + 1).count() == 1


def test_two_conclusions_at_once(seeded, coordinator, superuser):
    responses = post_together(
        [
            (coordinator, EDIT, conclusion_payload(conclusion="La mienne.")),
            (superuser, EDIT, conclusion_payload(conclusion="La leur.")),
        ]
    )
    assert sorted(r.status_code for r in responses) == [302, 409]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
    evaluation = Evaluation.objects.get()
    assert evaluation.conclusion == ("La mienne.", "La leur.")[winner]
    assert evaluation.version == 2


def test_one_post_sent_twice_at_once_writes_once(seeded, coordinator):
    payload = objective_payload({"durability": {"rating": 3}})
    responses = post_together(
        [(coordinator, objective_url(2), payload), (coordinator, objective_url(2), payload)]
    )
    assert [r.status_code for r in responses] == [302, 302]
    row = ObjectiveEvaluation.objects.get(question="durability")
    assert row.rating == 3 and row.version == 2 and row.history.count() == 2
