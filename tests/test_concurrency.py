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

from .helpers import once, sheet_edit_payload

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
                "submission": once(),
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


def test_concurrent_step_done_writes_once(seeded, coordinator):
    from actions.models import Step

    from .factories import StepFactory

    sheet = seeded.action_sheets.get(number=4)
    step = StepFactory(sheet=sheet, title="Réunion de lancement")
    url = reverse("actions:step_done", args=[SLUG, 4, step.pk])
    responses = run_together(coordinator, [(url, {"done_on": "2024-02-01"})] * WORKERS)
    assert [r.status_code for r in responses] == [302] * WORKERS
    assert Step.history.filter(id=step.pk, done_on__isnull=False).count() == 1
    sheet.refresh_from_db()
    assert sheet.version == 2  # one new version, not six


@pytest.mark.parametrize("action", ["archive", "restore"])
def test_concurrent_archiving_is_idempotent(seeded, coordinator, action):
    from actions.models import ActionSheet

    sheet = seeded.action_sheets.get(number=4)
    if action == "restore":
        from actions.services import set_archived

        set_archived(sheet, True)
    before = ActionSheet.history.filter(id=sheet.pk).count()
    url = reverse("actions:archive", args=[SLUG, 4])
    responses = run_together(coordinator, [(url, {"action": action})] * WORKERS)
    assert [r.status_code for r in responses] == [302] * WORKERS
    sheet.refresh_from_db()
    assert (sheet.archived_at is not None) == (action == "archive")
    assert ActionSheet.history.filter(id=sheet.pk).count() == before + 1


def test_concurrent_creations_of_one_number(seeded, coordinator):
    from actions.models import ActionSheet

    sheet = seeded.action_sheets.get(number=4)
    url = reverse("actions:create", args=[SLUG])
    payload = sheet_edit_payload(sheet, steps=[], indicators=[])
    payload.update({"number": 18, "steps-INITIAL_FORMS": 0, "indicators-INITIAL_FORMS": 0})
    requests = [
        (url, {**payload, "title": f"Fiche créée par l’onglet {i}"}) for i in range(WORKERS)
    ]
    responses = run_together(coordinator, requests)
    assert sorted(r.status_code for r in responses) == [302] + [400] * (WORKERS - 1)
    for response in responses:
        if response.status_code == 400:
            assert "Cette convention a déjà une fiche action de ce numéro" in (
                response.content.decode().replace("\u00a0", " ")
            )
    assert ActionSheet.objects.filter(convention=seeded, number=18).count() == 1


def test_concurrent_values_of_one_date(seeded, coordinator):
    from actions.models import IndicatorValue

    from .factories import IndicatorFactory

    indicator = IndicatorFactory(sheet=seeded.action_sheets.get(number=4))
    url = reverse("actions:value_add", args=[SLUG, 4, indicator.pk])
    prefix = f"value-{indicator.pk}"
    requests = [
        (url, {f"{prefix}-measured_on": "2024-03-01", f"{prefix}-value": str(10 + i)})
        for i in range(WORKERS)
    ]
    responses = run_together(coordinator, requests)
    assert sorted(r.status_code for r in responses) == [302] + [400] * (WORKERS - 1)
    assert IndicatorValue.objects.filter(indicator=indicator).count() == 1


def test_one_payment_form_posted_at_once_writes_once(seeded, caf_staff):
    line = FundingLine.objects.get(convention=seeded, label="La Petite Loco")
    data = {
        "line": line.pk,
        "year": 2024,
        "amount": "1000",
        "paid_on": "2024-03-15",
        "kind": "advance",
        "submission": once(),
    }
    url = reverse("funding:payment_add", args=[SLUG])
    responses = run_together(caf_staff, [(url, data)] * WORKERS)
    assert [r.status_code for r in responses] == [302] * WORKERS
    assert FundingAmount.objects.get(line=line, year=2024).payments.count() == 1


def test_concurrent_saves_of_one_amount_cell(seeded, caf_staff):
    line = FundingLine.objects.get(convention=seeded, label="Passerelle")
    url = reverse("funding:amounts", args=[SLUG])
    client = Client()
    client.force_login(caf_staff)
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else str(v)) for k, v in data.items()}
    requests = [(url, {**data, f"amount-{line.pk}-2024": str(35000 + i)}) for i in range(WORKERS)]
    responses = run_together(caf_staff, requests)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [400] * (WORKERS - 1)
    winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
    assert FundingAmount.objects.get(line=line, year=2024).planned == Decimal(35000 + winner)
    assert FundingAmount.history.filter(line_id=line.pk, year=2024).count() == 2  # seed + winner


def test_one_import_confirmed_at_once_applies_once(seeded, caf_staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from funding.models import FundingLine as Line

    client = Client()
    client.force_login(caf_staff)
    header = "Ligne de financement;Structure;Catégorie;Financeur;Part;2023;2024;2025"
    rows = [
        "Passerelle;Passerelle;;CAF du Tarn;CAF;34000;36000;34000",
        "Ligne nouvelle;;;CAF du Tarn;CAF;;1000;2000",
    ]
    content = ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode()
    response = client.post(
        reverse("funding:import", args=[SLUG]), {"file": SimpleUploadedFile("m.csv", content)}
    )
    token = response.context["token"]
    barrier = threading.Barrier(WORKERS)
    results = [None] * WORKERS

    def worker(index):
        from django.db import connections

        browser = Client()
        browser.cookies = client.cookies  # the same session: a confirm sent several times
        try:
            barrier.wait()
            results[index] = browser.post(
                reverse("funding:import_confirm", args=[SLUG]), {"token": token}
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [302] * WORKERS  # no 500
    assert Line.objects.filter(convention=seeded, label="Ligne nouvelle").count() == 1
    passerelle = Line.objects.get(convention=seeded, label="Passerelle")
    assert FundingAmount.objects.get(line=passerelle, year=2024).planned == Decimal("36000")
    assert FundingAmount.history.filter(line_id=passerelle.pk, year=2024).count() == 2


def a_payment_to_correct(seeded):
    import datetime

    from funding.models import Payment

    line = FundingLine.objects.get(convention=seeded, label="La Petite Loco")
    return Payment.objects.create(
        funding_amount=FundingAmount.objects.get(line=line, year=2024),
        amount=Decimal("5000"),
        paid_on=datetime.date(2024, 3, 15),
    )


def test_concurrent_corrections_of_one_payment(seeded, caf_staff):
    payment = a_payment_to_correct(seeded)
    url = reverse("funding:payment_correct", args=[SLUG, payment.pk])
    requests = [
        (
            url,
            {
                "correct-amount": str(500 + i),
                "correct-paid_on": "2024-03-15",
                "correct-kind": "advance",
                "correct-note": "",
                "correct-reason": f"Erreur de saisie, onglet {i}",
                "correct-version": 1,
            },
        )
        for i in range(WORKERS)
    ]
    responses = run_together(caf_staff, requests)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [409] * (WORKERS - 1)
    for response in responses:
        if response.status_code == 409:
            html = response.content.decode()
            assert "Ce versement a été modifié par quelqu’un d’autre" in html
    winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
    payment.refresh_from_db()
    assert (payment.amount, payment.version) == (Decimal(500 + winner), 2)
    reasons = [h.history_change_reason for h in payment.history.order_by("history_id")]
    assert reasons == [None, f"Erreur de saisie, onglet {winner}"]
    assert FundingAmount.objects.get(pk=payment.funding_amount_id).paid == Decimal(500 + winner)


def test_concurrent_cancellations_of_one_payment_cancel_once(seeded, coordinator):
    payment = a_payment_to_correct(seeded)
    url = reverse("funding:payment_cancel", args=[SLUG, payment.pk])
    requests = [
        (url, {"cancel-reason": f"Doublon, onglet {i}", "cancel-version": 1})
        for i in range(WORKERS)
    ]
    responses = run_together(coordinator, requests)
    assert [r.status_code for r in responses] == [302] * WORKERS
    payment.refresh_from_db()
    assert payment.is_cancelled
    assert payment.history.count() == 2  # recorded, cancelled once
    assert FundingAmount.objects.get(pk=payment.funding_amount_id).paid == 0


def test_a_correction_and_a_cancellation_at_once(seeded, caf_staff):
    """Whichever comes first wins; the other is refused (a correction of a cancelled payment,
    or a cancellation of a version that changed), never applied over it."""
    payment = a_payment_to_correct(seeded)
    correct = (
        reverse("funding:payment_correct", args=[SLUG, payment.pk]),
        {
            "correct-amount": "500",
            "correct-paid_on": "2024-03-15",
            "correct-kind": "advance",
            "correct-note": "",
            "correct-reason": "Erreur de saisie",
            "correct-version": 1,
        },
    )
    cancel = (
        reverse("funding:payment_cancel", args=[SLUG, payment.pk]),
        {"cancel-reason": "Doublon", "cancel-version": 1},
    )
    responses = run_together(caf_staff, [correct, cancel] * (WORKERS // 2))
    assert all(r.status_code in (302, 409) for r in responses)
    payment.refresh_from_db()
    assert payment.history.count() == 2  # recorded, then one change only
    if payment.is_cancelled:
        assert payment.amount == Decimal("5000")
    else:
        assert payment.amount == Decimal("500")


def test_previews_confirmed_at_once_by_two_colleagues_apply_one(seeded, caf_staff, coordinator):
    """Each uploaded the same new line: the first confirm creates it, the other is told the
    funding changed since its preview; no 500, one line."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = "Ligne de financement;Structure;Catégorie;Financeur;Part;2023;2024;2025"
    content = ("\ufeff" + header + "\r\nLigne nouvelle;;;CAF du Tarn;CAF;;1000;2000\r\n").encode()
    requests = []
    users = []
    for user in (caf_staff, coordinator):
        client = Client()
        client.force_login(user)
        response = client.post(
            reverse("funding:import", args=[SLUG]), {"file": SimpleUploadedFile("m.csv", content)}
        )
        requests.append(
            (reverse("funding:import_confirm", args=[SLUG]), {"token": response.context["token"]})
        )
        users.append(user)
    barrier = threading.Barrier(2)
    results = [None, None]

    def worker(index):
        from django.db import connections

        client = Client()
        client.force_login(users[index])
        try:
            barrier.wait()
            url, data = requests[index]
            results[index] = client.post(url, data, follow=True)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200, 200]
    texts = sorted("Rien n’a été importé" in r.content.decode() for r in results)
    assert texts == [False, True]
    assert FundingLine.objects.filter(convention=seeded, label="Ligne nouvelle").count() == 1
