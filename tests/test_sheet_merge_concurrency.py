"""Concurrent saves of one fiche from one version, each on its own field (PostgreSQL): every
save is kept, merged with the others, none lost and none answered with an error."""

import pytest
from django.db import connection
from django.urls import reverse

from .helpers import sheet_edit_payload
from .test_concurrency import SLUG, run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"
    ),
]

CHANGES = [
    {"progress": 35},
    {"goals": "Objectifs de l’onglet 1"},
    {"description": "Description de l’onglet 2"},
    {"target_publics": "Publics de l’onglet 3"},
    {"priority": "high"},
    {"elected_referent": "Référent de l’onglet 5"},
]


def test_concurrent_saves_of_different_fields_are_all_kept(seeded, coordinator):
    sheet = seeded.action_sheets.get(number=5)
    url = reverse("actions:edit", args=[SLUG, 5])
    requests = [(url, sheet_edit_payload(sheet, **change)) for change in CHANGES]
    responses = run_together(coordinator, requests)
    assert [r.status_code for r in responses] == [302] * len(CHANGES)
    sheet.refresh_from_db()
    for change in CHANGES:
        for name, value in change.items():
            assert getattr(sheet, name) == value
    assert sheet.version == 1 + len(CHANGES)
