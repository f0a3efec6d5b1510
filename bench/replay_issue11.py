"""Replay, in process on a throw-away SQLite database, what issue 11 observed, and print what
the portal now answers (the concurrent cases are in tests/test_concurrency.py, on PostgreSQL).

    DJANGO_SECRET_KEY=x .venv/bin/python bench/replay_issue11.py
"""

import io
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def said(response):
    """The alerts and field errors a page shows, as one line."""
    html = response.content.decode()
    texts = re.findall(
        r'class="(?:alert alert-(?:danger|warning|info)[^"]*|invalid-feedback[^"]*)"[^>]*>(.*?)</',
        html,
        re.S,
    )
    texts = [re.sub(r"<[^>]+>|\s+", " ", t).replace("&nbsp;", " ").strip() for t in texts]
    return " | ".join(t for t in texts if t)[:300]


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg_portal.settings")
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(tempfile.mkdtemp()) / 'replay.sqlite3'}"
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    setup_test_environment()  # responses carry their context

    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse

    from actions.models import ActionSheet, IndicatorValue, Step
    from conventions.models import Convention, Membership
    from funding.models import FundingAmount, FundingLine, Payment
    from operations import backup
    from tests.factories import MembershipFactory, UserFactory
    from tests.helpers import once, sheet_edit_payload

    call_command("migrate", verbosity=0)
    call_command("seed_ctg", stdout=io.StringIO())
    convention = Convention.objects.get()
    slug = convention.slug

    def member(username, role, first_name=""):
        user = UserFactory(username=username, first_name=first_name or username.title())
        MembershipFactory(user=user, convention=convention, role=role)
        client = Client()
        client.force_login(user)
        return client

    a = member("alice", Membership.Role.COORDINATOR)
    b = member("bruno", Membership.Role.COORDINATOR)
    caf = member("caf", Membership.Role.CAF_STAFF)

    print("1. Two coordinators edit fiche 5 from one version")
    sheet = convention.action_sheets.get(number=5)
    edit = reverse("actions:edit", args=[slug, 5])
    form_a = sheet_edit_payload(sheet, progress=55, description="Texte réécrit par A")
    form_b = sheet_edit_payload(sheet, goals="Objectifs de B", priority="high")
    a.post(edit, form_a)
    response = b.post(edit, form_b, follow=True)
    sheet.refresh_from_db()
    print(f"   B saves goals + priority: {response.redirect_chain[0][1]}; {said(response)}")
    print(
        f"   sheet: progress {sheet.progress}, description {sheet.description!r}, "
        f"goals {sheet.goals!r}, priority {sheet.priority}"
    )
    form_a = sheet_edit_payload(sheet, description="Version de A")
    form_b = sheet_edit_payload(sheet, description="Version de B")
    a.post(edit, form_a)
    response = b.post(edit, form_b)
    conflicts = response.context["conflicts"]
    print(
        f"   both change the description: {response.status_code}, to choose: "
        + "; ".join(f"{c.label}: {c.theirs_text!r} by {c.author}, {c.moment}" for c in conflicts)
    )
    unversioned = sheet_edit_payload(sheet, goals="Sans version")
    del unversioned["version"], unversioned["base"]
    ActionSheet.objects.filter(pk=sheet.pk).update(goals="Écrit entre-temps")
    response = b.post(edit, unversioned)
    print(f"   a POST without version over a changed field: {response.status_code}")

    print("3. Import preview, then a colleague saves the cell, then confirm")
    header = "Ligne de financement;Structure;Catégorie;Financeur;Part;2023;2024;2025"
    row = "Passerelle;Passerelle;;CAF du Tarn;CAF;34000;1000;34000"
    content = ("\ufeff" + header + "\r\n" + row + "\r\n").encode()
    response = caf.post(
        reverse("funding:import", args=[slug]), {"file": SimpleUploadedFile("f.csv", content)}
    )
    token = response.context["token"]
    line = FundingLine.objects.get(convention=convention, label="Passerelle")
    FundingAmount.objects.filter(line=line, year=2024).update(planned=800)
    response = caf.post(
        reverse("funding:import_confirm", args=[slug]), {"token": token}, follow=True
    )
    amount = FundingAmount.objects.get(line=line, year=2024).planned
    print(f"   confirm: {said(response)}; 2024 stays {amount} €")

    print("4. Double submissions")
    submission = once()
    data = {"year": 2024, "line": line.pk, "amount": "1000", "paid_on": "2024-03-01"}
    data |= {"kind": "advance", "submission": submission}
    for _ in range(2):
        caf.post(reverse("funding:payment_add", args=[slug]), data)
    print(f"   a payment posted twice: {Payment.objects.count()} payment(s)")
    step = Step.objects.create(sheet=sheet, title="Étape")
    done = reverse("actions:step_done", args=[slug, 5, step.pk])
    for _ in range(2):
        a.post(done, {"done_on": "2025-01-15"})
    print(f"   'mark done' twice: {step.history.count() - 1} change(s) in the step's history")
    archive = reverse("actions:archive", args=[slug, 5])
    for _ in range(2):
        a.post(archive, {"action": "archive"})
    sheet.refresh_from_db()
    print(f"   archive twice: archived = {sheet.archived_at is not None}")
    a.post(archive, {"action": "restore"})

    print("5. French errors instead of 500")
    create = sheet_edit_payload(sheet, steps=[], indicators=[], number=5, title="Doublon")
    create |= {"steps-INITIAL_FORMS": 0, "indicators-INITIAL_FORMS": 0}
    del create["version"], create["base"]
    response = a.post(reverse("actions:create", args=[slug]), create)
    print(f"   creating fiche 5 again: {response.status_code}; {said(response)}")
    indicator = sheet.indicators.create(label="Familles", kind="result")
    IndicatorValue.objects.create(indicator=indicator, measured_on="2024-06-01", value=3)
    value_url = reverse("actions:value_add", args=[slug, 5, indicator.pk])
    prefix = f"value-{indicator.pk}"
    response = a.post(value_url, {f"{prefix}-measured_on": "2024-06-01", f"{prefix}-value": "4"})
    print(f"   two values on one date: {response.status_code}; {said(response)}")
    for text in ("1e30", "NaN", "inf"):
        bad = f"Passerelle;Passerelle;;CAF du Tarn;CAF;34000;{text};34000"
        content = (header + "\r\n" + bad + "\r\n").encode()
        response = caf.post(
            reverse("funding:import", args=[slug]), {"file": SimpleUploadedFile("f.csv", content)}
        )
        errors = response.context["preview"].rows[0].errors
        print(f"   {text} in a cell: {response.status_code}; {errors[0]}")
    for label in ("x" * 301, "Ligne\x00nulle"):
        content = (header + f"\r\n{label};;;CAF du Tarn;CAF;1;1;1\r\n").encode()
        response = caf.post(
            reverse("funding:import", args=[slug]), {"file": SimpleUploadedFile("f.csv", content)}
        )
        errors = response.context["preview"].rows[0].errors
        print(f"   label {label[:12]!r}…: {response.status_code}; {errors[0]}")
    response = a.post(edit, sheet_edit_payload(sheet, title="Titre\x01 avec ESC\x1b"))
    print(f"   a control character in a title: {response.status_code}; {said(response)[:120]}")
    ActionSheet.objects.filter(pk=sheet.pk).update(title="Titre\x01 ancien")
    response = a.get(reverse("actions:export", args=[slug, "xlsx"]))
    print(f"   fiches/export.xlsx with one stored: {response.status_code}")

    print("7. Matching 'Équipe Test' and 'équipe  TEST' (SQLite)")
    line.label = "Équipe Test"
    line.save()
    row = "équipe  TEST;Passerelle;;CAF du Tarn;CAF;34000;35000;34000"
    content = (header + "\r\n" + row + "\r\n").encode()
    response = caf.post(
        reverse("funding:import", args=[slug]), {"file": SimpleUploadedFile("f.csv", content)}
    )
    caf.post(reverse("funding:import_confirm", args=[slug]), {"token": response.context["token"]})
    count = FundingLine.objects.filter(convention=convention, key="equipe test").count()
    print(f"   preview says {response.context['preview'].rows[0].action}; lines after: {count}")

    print("8. Restore one convention after its deletion")
    text = backup.export_convention(convention)
    sheets = ActionSheet.objects.count()
    backup.delete_convention(convention)
    restored = backup.import_convention(text)
    print(
        f"   restored {restored.slug}: {restored.created} objects, {restored.matched} matched; "
        f"sheets {sheets} → {ActionSheet.objects.count()}"
    )
    convention = Convention.objects.get(slug=slug)
    again = backup.export_convention(convention)
    try:
        backup.import_convention(again)
    except backup.RestoreError as error:
        print(f"   restoring it again while it exists: {error}")

    print("9. Smaller")
    payment = Payment.objects.get()
    page = reverse("funding:payment", args=[slug, payment.pk])
    response = caf.post(
        reverse("funding:payment_cancel", args=[slug, payment.pk]),
        {"cancel-reason": "Saisi deux fois", "cancel-version": payment.version},
        follow=True,
    )
    payment.refresh_from_db()
    print(
        f"   cancel a payment: {response.status_code}, "
        f"cancelled = {payment.cancelled_at is not None}"
    )
    print(f"   its page: {caf.get(page).status_code}")
    response = a.get(reverse("actions:note_add", args=[slug, 5]))
    print(f"   GET on /fiches/5/notes/: {response.status_code} → {response.get('Location')}")
    response = a.get(reverse("actions:detail", args=[slug, 5]))
    print(f"   Cache-Control of a member's page: {response['Cache-Control']}")
    print(f"   /healthz: {Client().get('/healthz').status_code}")


if __name__ == "__main__":
    main()
