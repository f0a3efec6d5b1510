"""The import's preview waits in the database (PendingImport), not in the session: for its user
and convention, an hour at most, taken once by the confirm."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from funding.models import FundingLine, PendingImport

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
HEADER = "Ligne de financement;Structure;Catégorie;Financeur;Part;2023;2024;2025"
NEW_LINE = "Ligne nouvelle;;;CAF du Tarn;CAF;;1000;2000"


def upload(client, *rows, slug=SLUG):
    content = ("\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n").encode()
    response = client.post(
        reverse("funding:import", args=[slug]),
        {"file": SimpleUploadedFile("montants.csv", content)},
    )
    assert response.status_code == 200, response.content.decode()[:500]
    return response.context["token"]


def confirm(client, token, slug=SLUG):
    return client.post(
        reverse("funding:import_confirm", args=[slug]), {"token": token}, follow=True
    )


def imported(convention):
    return convention.funding_lines.filter(label="Ligne nouvelle").exists()


def test_the_preview_waits_in_the_database_not_in_the_session(client, caf_staff, seeded):
    client.force_login(caf_staff)
    rows = [f"Ligne {n};;;CAF du Tarn;CAF;1;2;3" for n in range(2000)]
    token = upload(client, *rows)
    pending = PendingImport.objects.get()
    assert (pending.token, pending.user, pending.convention) == (token, caf_staff, seeded)
    assert len(pending.payload) == 2000
    assert len(token) >= 40  # secrets.token_urlsafe(32)
    session = client.session
    assert not [key for key, _value in session.items() if "import" in key]
    assert len(json.dumps(dict(session.items()))) < 1000
    assert "2000 lignes créées ou modifiées" in confirm(client, token).content.decode()
    assert seeded.funding_lines.filter(label__startswith="Ligne ").count() == 2000
    assert not PendingImport.objects.exists()  # taken


def test_only_its_user_confirms_a_preview(client, caf_staff, coordinator, seeded):
    client.force_login(caf_staff)
    token = upload(client, NEW_LINE)
    colleague = Client()
    colleague.force_login(coordinator)
    response = confirm(colleague, token)
    assert "n’est plus en attente" in response.content.decode()
    assert not imported(seeded)
    # The owner's preview is still pending: they confirm it.
    confirm(client, token)
    assert imported(seeded)


def test_a_preview_is_confirmed_on_its_own_convention_only(
    client, superuser, seeded, other_convention
):
    client.force_login(superuser)
    token = upload(client, NEW_LINE)
    response = confirm(client, token, slug=other_convention.slug)
    assert "n’est plus en attente" in response.content.decode()
    assert not FundingLine.objects.filter(label="Ligne nouvelle").exists()
    assert PendingImport.objects.filter(token=token).exists()


def test_a_preview_expires_after_an_hour(client, caf_staff, seeded, time_machine):
    time_machine.move_to(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    client.force_login(caf_staff)
    token = upload(client, NEW_LINE)
    time_machine.move_to(datetime.datetime(2025, 6, 2, 11, 1, tzinfo=datetime.UTC), tick=False)
    response = confirm(client, token)
    assert "n’est plus en attente" in response.content.decode()
    assert not imported(seeded)


def test_an_upload_drops_older_and_expired_previews(
    client, caf_staff, coordinator, seeded, time_machine
):
    time_machine.move_to(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    colleague = Client()
    colleague.force_login(coordinator)
    stale = upload(colleague, NEW_LINE)  # never confirmed
    time_machine.move_to(datetime.datetime(2025, 6, 2, 10, 30, tzinfo=datetime.UTC), tick=False)
    client.force_login(caf_staff)
    first = upload(client, NEW_LINE)
    time_machine.move_to(datetime.datetime(2025, 6, 2, 11, 5, tzinfo=datetime.UTC), tick=False)
    second = upload(client, NEW_LINE)
    # The user's former preview is replaced, the colleague's expired one purged.
    assert list(PendingImport.objects.values_list("token", flat=True)) == [second]
    assert "n’est plus en attente" in confirm(client, first).content.decode()
    assert not imported(seeded)
    assert "n’est plus en attente" in confirm(colleague, stale).content.decode()
    confirm(client, second)
    assert imported(seeded)


def test_an_invalid_file_stores_nothing(client, caf_staff, seeded):
    client.force_login(caf_staff)
    content = ("\ufeff" + HEADER + "\r\nLigne;;;Inconnu;CAF;1;2;3\r\n").encode()
    response = client.post(
        reverse("funding:import", args=[SLUG]), {"file": SimpleUploadedFile("m.csv", content)}
    )
    assert response.status_code == 400
    assert not PendingImport.objects.exists()


def test_pending_imports_are_not_backed_up(client, caf_staff, seeded):
    from operations.backup import export_convention

    client.force_login(caf_staff)
    upload(client, NEW_LINE)
    models = {item["model"] for item in json.loads(export_convention(seeded))["objects"]}
    assert "funding.pendingimport" not in models
    assert "funding.payment" in models or "funding.fundingline" in models
