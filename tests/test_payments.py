"""Correcting and cancelling a payment: a reason each time, kept in the history; a cancelled
payment stays listed and leaves every total; a correction from an older version is refused."""

import csv
import datetime
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from funding.models import FundingAmount, FundingLine, Payment
from funding.reports import funding_table

from .helpers import once

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS), tick=False),
]

SLUG = "thore-montagne-noire-2023-2025"
TABLE = reverse("funding:table", args=[SLUG])
NBSP = "\u00a0"


def page_text(response):
    return response.content.decode().replace("&nbsp;", NBSP).replace("&#x27;", "'")


def record(client, line, amount, day="2024-03-15", kind="advance"):
    """A payment recorded through the table's form, as CAF staff do; the Payment."""
    response = client.post(
        reverse("funding:payment_add", args=[SLUG]),
        {
            "line": line.pk,
            "year": 2024,
            "amount": amount,
            "paid_on": day,
            "kind": kind,
            "submission": once(),
        },
    )
    assert response.status_code == 302
    return Payment.objects.latest("pk")


def correction(payment, reason="5 000 € saisis au lieu de 500 €", **changes):
    data = {
        "amount": str(payment.amount),
        "paid_on": payment.paid_on.isoformat(),
        "kind": payment.kind,
        "note": payment.note,
        "reason": reason,
        "version": payment.version,
        **changes,
    }
    return {f"correct-{name}": value for name, value in data.items()}


def cancellation(payment, reason="Versement saisi deux fois"):
    return {"cancel-reason": reason, "cancel-version": payment.version}


def url(name, payment):
    return reverse(f"funding:{name}", args=[SLUG, payment.pk])


@pytest.fixture
def loco(seeded):
    return FundingLine.objects.get(convention=seeded, label="La Petite Loco")


def test_a_correction_with_its_reason_is_in_the_history(client, caf_staff, loco):
    caf_staff.first_name, caf_staff.last_name = "Claire", "Caf"
    caf_staff.save()
    client.force_login(caf_staff)
    payment = record(client, loco, "5000")
    response = client.post(url("payment_correct", payment), correction(payment, amount="500"))
    assert response.status_code == 302
    assert response["Location"] == f"{TABLE}?annee=2024"
    payment.refresh_from_db()
    assert (payment.amount, payment.version) == (Decimal("500"), 2)
    record_ = payment.history.order_by("history_id").last()
    assert record_.history_change_reason == "5 000 € saisis au lieu de 500 €"
    assert record_.history_user == caf_staff
    assert FundingAmount.objects.get(line=loco, year=2024).paid == Decimal("500")

    html = page_text(client.get(url("payment", payment)))
    history = html[html.index('id="history-title"') :]
    assert "Corrigé" in history and "par Claire Caf, le 02/06/2025 à 10 h 00" in history
    assert f"Montant (€){NBSP}: 5{NBSP}000{NBSP}€ → 500{NBSP}€" in history
    assert "Motif : 5 000 € saisis au lieu de 500 €" in history
    assert "Enregistré" in history  # the first record, as it was recorded
    assert history.index("Corrigé") < history.index("Enregistré")  # newest first


def test_a_correction_needs_a_reason_without_control_characters(client, coordinator, loco):
    client.force_login(coordinator)
    payment = record(client, loco, "5000")
    for changes, field, message in [
        ({"reason": "  "}, "reason", "Indiquez le motif"),
        ({"reason": "erreur\x1b[31m"}, "reason", "caractère de contrôle (U+001B)"),
        ({"note": "note\x07"}, "note", "caractère de contrôle (U+0007)"),
        ({"amount": "0"}, "amount", "Un versement est un montant positif"),
        ({"paid_on": "2025-07-01"}, "paid_on", "Cette date est dans le futur"),
    ]:
        data = correction(payment, **{"amount": "500", **changes})
        response = client.post(url("payment_correct", payment), data)
        assert response.status_code == 400
        errors = response.context["correction"].errors[field]
        assert message in " ".join(errors), (changes, errors)
    payment.refresh_from_db()
    assert (payment.amount, payment.version) == (Decimal("5000"), 1)
    assert payment.history.count() == 1


def test_a_correction_that_changes_nothing_writes_nothing(client, caf_staff, loco):
    client.force_login(caf_staff)
    payment = record(client, loco, "500")
    response = client.post(url("payment_correct", payment), correction(payment), follow=True)
    assert "Rien à corriger" in response.content.decode()
    assert payment.history.count() == 1


def test_a_cancelled_payment_leaves_every_total(client, caf_staff, loco):
    client.force_login(caf_staff)
    kept = record(client, loco, "14280")
    wrong = record(client, loco, "5000", day="2024-04-02")
    exports_before = {fmt: export_cells(client, fmt) for fmt in ("csv", "xlsx")}
    response = client.post(url("payment_cancel", wrong), cancellation(wrong), follow=True)
    assert "Versement annulé : il ne compte plus dans les totaux" in response.content.decode()

    wrong.refresh_from_db()
    assert wrong.is_cancelled and wrong.cancelled_by == caf_staff
    assert wrong.cancel_reason == "Versement saisi deux fois"
    assert Payment.objects.filter(pk=wrong.pk).exists()  # kept, never deleted
    assert list(Payment.objects.active()) == [kept]
    assert FundingAmount.objects.get(line=loco, year=2024).paid == Decimal("14280")

    response = client.get(TABLE + "?annee=2024")
    row = next(r for r in response.context["year_rows"] if r.line == loco)
    assert (row.paid, row.remaining) == (Decimal("14280"), Decimal("26520"))
    assert response.context["year_paid"] == Decimal("14280")
    assert [p.pk for p in row.payments] == [kept.pk, wrong.pk]  # still listed
    html = page_text(response)
    assert f"<del>02/04/2024{NBSP}: 5{NBSP}000{NBSP}€ (acompte)</del>" in html
    assert "annulé" in html and "Versement saisi deux fois" in html
    table = funding_table(loco.convention)
    paid = next(r for r in table.rows if r.line == loco).paid
    assert paid == [Decimal("0"), Decimal("14280"), Decimal("0")]
    # The exports' paid columns leave the cancelled payment out; the planned ones do not move.
    after = {fmt: export_cells(client, fmt) for fmt in ("csv", "xlsx")}
    for fmt in ("csv", "xlsx"):
        header = list(after[fmt][0])
        paid_2024 = header.index("Versé 2024")
        row_before = next(r for r in exports_before[fmt] if r[0] == loco.label)
        row_after = next(r for r in after[fmt] if r[0] == loco.label)
        assert row_after[:paid_2024] == row_before[:paid_2024]
        assert as_decimal(row_before[paid_2024]) == Decimal("19280")
        assert as_decimal(row_after[paid_2024]) == Decimal("14280")

    page = page_text(client.get(url("payment", wrong)))
    assert "Annulé" in page and "Motif : Versement saisi deux fois" in page
    assert 'id="correct-form"' not in page and 'id="cancel-form"' not in page


def as_decimal(cell):
    """A cell of the CSV ("14280,00") or of the XLSX (a number) as a Decimal."""
    if isinstance(cell, str):
        return Decimal(cell.replace("\u00a0", "").replace(" ", "").replace(",", "."))
    return Decimal(str(cell))


def export_cells(client, fmt):
    response = client.get(reverse("funding:export", args=[SLUG, fmt]))
    if fmt == "csv":
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text), delimiter=";"))
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_cancelling_twice_cancels_once(client, coordinator, loco):
    client.force_login(coordinator)
    payment = record(client, loco, "5000")
    data = cancellation(payment)
    client.post(url("payment_cancel", payment), data)
    payment.refresh_from_db()
    first = payment.cancelled_at
    response = client.post(url("payment_cancel", payment), data, follow=True)
    assert response.status_code == 200
    assert "Ce versement était déjà annulé" in response.content.decode()
    # Again with another reason and no version (a page shown before): still once.
    response = client.post(url("payment_cancel", payment), {"cancel-reason": ""}, follow=True)
    assert "Ce versement était déjà annulé" in response.content.decode()
    payment.refresh_from_db()
    assert payment.cancelled_at == first and payment.cancel_reason == "Versement saisi deux fois"
    assert payment.history.count() == 2  # recorded, cancelled


def test_a_cancellation_needs_a_reason(client, caf_staff, loco):
    client.force_login(caf_staff)
    payment = record(client, loco, "5000")
    response = client.post(url("payment_cancel", payment), cancellation(payment, reason=""))
    assert response.status_code == 400
    assert "Indiquez le motif" in response.content.decode()
    payment.refresh_from_db()
    assert not payment.is_cancelled


def test_a_cancelled_payment_cannot_be_corrected(client, caf_staff, loco):
    client.force_login(caf_staff)
    payment = record(client, loco, "5000")
    client.post(url("payment_cancel", payment), cancellation(payment))
    payment.refresh_from_db()
    response = client.post(
        url("payment_correct", payment), correction(payment, amount="500"), follow=True
    )
    assert "Ce versement est annulé : il ne peut plus être corrigé" in response.content.decode()
    payment.refresh_from_db()
    assert payment.amount == Decimal("5000")


def test_a_correction_from_an_older_version_is_refused_with_what_changed(
    client, caf_staff, coordinator, loco
):
    from django.test import Client

    client.force_login(caf_staff)
    payment = record(client, loco, "5000")
    colleague = Client()
    colleague.force_login(coordinator)
    seen = correction(payment, amount="500", reason="Erreur de saisie")
    colleague.post(url("payment_correct", payment), correction(payment, amount="50"))

    response = client.post(url("payment_correct", payment), seen)
    assert response.status_code == 409
    html = page_text(response)
    assert "Ce versement a été modifié par quelqu’un d’autre" in html
    conflict = html[html.index('id="payment-conflict"') : html.index('id="cancel-form"')]
    assert f"5{NBSP}000{NBSP}€ → 50{NBSP}€" in conflict
    payment.refresh_from_db()
    assert payment.amount == Decimal("50")
    # The form now carries the colleague's version and the user's input: sent again, it applies.
    form = response.context["correction"]
    assert form["version"].value() == "2" and form["amount"].value() == "500"
    data = {**seen, "correct-version": "2"}
    assert client.post(url("payment_correct", payment), data).status_code == 302
    payment.refresh_from_db()
    assert (payment.amount, payment.version) == (Decimal("500"), 3)


def test_a_cancellation_from_an_older_version_is_refused(client, caf_staff, loco):
    client.force_login(caf_staff)
    payment = record(client, loco, "5000")
    seen = cancellation(payment)
    client.post(url("payment_correct", payment), correction(payment, amount="500"))
    response = client.post(url("payment_cancel", payment), seen)
    assert response.status_code == 409
    payment.refresh_from_db()
    assert not payment.is_cancelled and payment.amount == Decimal("500")


def test_readers_see_the_history_without_the_forms(client, caf_staff, elected, loco):
    client.force_login(caf_staff)
    payment = record(client, loco, "5000")
    client.force_login(elected)
    html = client.get(url("payment", payment)).content.decode()
    assert 'id="history-title"' in html
    assert 'id="correct-form"' not in html and 'id="cancel-form"' not in html


def test_the_payment_page_reads_a_fixed_number_of_queries(
    client, caf_staff, loco, django_assert_max_num_queries
):
    client.force_login(caf_staff)
    payment = record(client, loco, "5000")
    for amount in range(100, 140):
        payment.refresh_from_db()
        client.post(url("payment_correct", payment), correction(payment, amount=str(amount)))
    assert payment.history.count() == 41
    with django_assert_max_num_queries(6):
        # The session, the user, the membership, the payment, its history (with its authors).
        assert client.get(url("payment", payment)).status_code == 200


def test_the_admin_moves_the_version(admin_client, seeded, loco):
    payment = Payment.objects.create(
        funding_amount=FundingAmount.objects.get(line=loco, year=2024),
        amount=Decimal("5000"),
        paid_on=datetime.date(2024, 3, 15),
    )
    response = admin_client.post(
        reverse("admin:funding_payment_change", args=[payment.pk]),
        {
            "funding_amount": payment.funding_amount_id,
            "amount": "500",
            "paid_on": "2024-03-15",
            "kind": "advance",
            "note": "",
        },
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.amount, payment.version) == (Decimal("500"), 2)


def test_a_cancelled_payment_and_its_reasons_survive_a_backup(client, caf_staff, loco):
    from operations.backup import export_convention, import_convention

    client.force_login(caf_staff)
    payment = record(client, loco, "5000")
    client.post(url("payment_correct", payment), correction(payment, amount="500"))
    payment.refresh_from_db()
    client.post(url("payment_cancel", payment), cancellation(payment))
    text = export_convention(loco.convention)
    import_convention(text, replace=True)
    restored = Payment.objects.get(funding_amount__line__label="La Petite Loco")
    assert restored.is_cancelled and restored.cancelled_by == caf_staff
    assert restored.amount == Decimal("500")
    assert restored.cancel_reason == "Versement saisi deux fois"
    reasons = [r.history_change_reason for r in restored.history.order_by("history_id")]
    assert reasons == [None, "5 000 € saisis au lieu de 500 €", "Versement saisi deux fois"]
