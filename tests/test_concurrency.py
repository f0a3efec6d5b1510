"""Concurrent edits on PostgreSQL: of several saves from one version exactly one wins, the
others get the conflict message, and the history holds every accepted change.

Each thread is a browser of its own (a test Client with its own database connection) and
all post at the same instant (a barrier). SQLite serialises writers, so these tests run on
PostgreSQL only.
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from funding.models import FundingAmount, FundingLine
from funding.reports import funding_table

from .helpers import sheet_edit_payload

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"
    ),
]

SLUG = "thore-montagne-noire-2023-2025"
WORKERS = 6


def run_together(user, requests):
    """Post every (url, data) at once from its own client and connection; the responses."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def worker(index, url, data):
        from django.db import connections

        client = Client()
        client.force_login(user)
        try:
            barrier.wait()
            results[index] = client.post(url, data)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(i, url, data))
        for i, (url, data) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_saves_of_one_version(seeded, coordinator):
    sheet = seeded.action_sheets.get(number=4)
    url = reverse("actions:edit", args=[SLUG, 4])
    requests = [
        (url, sheet_edit_payload(sheet, progress=10 + i, goals=f"Objectifs de l’onglet {i}"))
        for i in range(WORKERS)
    ]
    responses = run_together(coordinator, requests)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [409] * (WORKERS - 1)
    for response in responses:
        if response.status_code == 409:
            assert "Cette fiche a été modifiée par quelqu’un d’autre" in response.content.decode()
    sheet.refresh_from_db()
    winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
    assert (sheet.progress, sheet.version) == (10 + winner, 2)
    assert sheet.goals == f"Objectifs de l’onglet {winner}"
    # Every accepted change is in the history: the creation and the single winner.
    assert [h.progress for h in sheet.history.order_by("history_date")] == [0, 10 + winner]


def test_concurrent_payments_are_all_kept(seeded, caf_staff):
    line = FundingLine.objects.get(convention=seeded, label="La Petite Loco")
    url = reverse("funding:payment_add", args=[SLUG])
    requests = [
        (
            url,
            {
                "line": line.pk,
                "year": 2024,
                "amount": f"{1000 + i}",
                "paid_on": "2024-03-15",
                "kind": "advance",
            },
        )
        for i in range(WORKERS)
    ]
    responses = run_together(caf_staff, requests)
    assert [r.status_code for r in responses] == [302] * WORKERS
    amount = FundingAmount.objects.get(line=line, year=2024)
    expected = sum(Decimal(1000 + i) for i in range(WORKERS))
    assert amount.payments.count() == WORKERS
    assert amount.paid == expected
    row = next(r for r in funding_table(seeded).for_year(2024) if r.line == line)
    assert row.paid == expected and row.remaining == Decimal("40800") - expected
