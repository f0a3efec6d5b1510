"""Writes that two people (or a double click) make at once: one write, or a French error.

The races themselves are replayed on PostgreSQL in test_concurrency.py; here the clash is
provoked deterministically on every database: the duplicate row appears after the form's own
uniqueness check, as it does when another request commits first.
"""

import io
from unittest import mock

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from actions.forms import ActionSheetForm, IndicatorValueForm
from actions.models import ActionSheet, IndicatorValue
from funding.models import Payment

from .factories import ActionSheetFactory, IndicatorFactory
from .helpers import once, sheet_edit_payload

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"


def test_creation_clash_is_a_french_form_error(client, coordinator, seeded):
    client.force_login(coordinator)
    payload = sheet_edit_payload(seeded.action_sheets.get(number=4), steps=[], indicators=[])
    payload.update({"number": 18, "steps-INITIAL_FORMS": 0, "indicators-INITIAL_FORMS": 0})
    payload["title"] = "Fiche de l’onglet perdant"
    ActionSheetFactory(convention=seeded, objective=seeded.objectives.first(), number=18)
    with mock.patch.object(ActionSheetForm, "validate_unique"):  # the check passed earlier
        response = client.post(reverse("actions:create", args=[SLUG]), payload)
    assert response.status_code == 400
    html = response.content.decode().replace("\u00a0", " ")
    assert "Cette convention a déjà une fiche action de ce numéro." in html
    assert "Fiche de l’onglet perdant" in html  # the input is kept
    assert ActionSheet.objects.filter(convention=seeded, number=18).count() == 1


def test_value_clash_is_a_french_form_error(client, coordinator, seeded):
    indicator = IndicatorFactory(sheet=seeded.action_sheets.get(number=4))
    IndicatorValue.objects.create(indicator=indicator, measured_on="2024-03-01", value=3)
    client.force_login(coordinator)
    prefix = f"value-{indicator.pk}"
    with mock.patch.object(IndicatorValueForm, "validate_unique"):
        response = client.post(
            reverse("actions:value_add", args=[SLUG, 4, indicator.pk]),
            {f"{prefix}-measured_on": "2024-03-01", f"{prefix}-value": "5"},
        )
    assert response.status_code == 400
    assert "Cet indicateur a déjà une valeur à cette date." in response.content.decode()
    assert IndicatorValue.objects.filter(indicator=indicator).count() == 1


def test_a_payment_posted_twice_is_recorded_once(client, caf_staff, seeded):
    line = seeded.funding_lines.get(label="Passerelle")
    client.force_login(caf_staff)
    form = client.get(reverse("funding:table", args=[SLUG])).context["payment_form"]
    token = form["submission"].value()
    data = {
        "line": line.pk,
        "year": 2024,
        "amount": "1000",
        "paid_on": "2024-03-15",
        "kind": "advance",
        "submission": token,
    }
    url = reverse("funding:payment_add", args=[SLUG])
    assert client.post(url, data).status_code == 302
    response = client.post(url, data, follow=True)  # a double click, a reload of the post
    assert "Ce versement était déjà enregistré." in response.content.decode()
    assert Payment.objects.filter(funding_amount__line=line).count() == 1
    # A new form carries a new token: the next payment is recorded.
    assert client.post(url, {**data, "submission": once()}).status_code == 302
    assert Payment.objects.filter(funding_amount__line=line).count() == 2


def test_a_payment_without_its_token_is_refused(client, caf_staff, seeded):
    line = seeded.funding_lines.get(label="Passerelle")
    client.force_login(caf_staff)
    data = {"line": line.pk, "year": 2024, "amount": "1", "paid_on": "2024-03-15"}
    response = client.post(reverse("funding:payment_add", args=[SLUG]), data)
    assert response.status_code == 400
    assert "Ce formulaire a expiré" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_note_posted_twice_is_recorded_once(client, coordinator, seeded):
    sheet = seeded.action_sheets.get(number=4)
    client.force_login(coordinator)
    token = (
        client.get(reverse("actions:detail", args=[SLUG, 4]))
        .context["note_form"]["submission"]
        .value()
    )
    data = {
        "text": "Réunion du 12 mars",
        "written_on": "2024-03-12",
        "status": "in_progress",
        "version": sheet.version,
        "submission": token,
    }
    url = reverse("actions:note_add", args=[SLUG, 4])
    assert client.post(url, data).status_code == 302
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "Cette note était déjà enregistrée." in response.content.decode()
    assert sheet.notes.count() == 1


def xlsx_upload(rows):
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Ligne de financement", "Structure", "Catégorie", "Financeur", "Part", 2023])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ods_upload(rows):
    import tablib

    dataset = tablib.Dataset(
        headers=["Ligne de financement", "Structure", "Catégorie", "Financeur", "Part", "2023"]
    )
    for row in rows:
        dataset.append(row)
    return dataset.export("ods")


@pytest.mark.parametrize(
    ("fmt", "value"),
    [
        ("xlsx", 1e30),
        ("xlsx", -1e30),
        ("ods", 1e30),
        ("ods", float("nan")),
        ("ods", float("inf")),
        ("ods", -float("inf")),
    ],
)
def test_non_finite_or_huge_numbers_are_row_errors(client, caf_staff, seeded, fmt, value):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(caf_staff)
    maker = xlsx_upload if fmt == "xlsx" else ods_upload
    content = maker([["Passerelle", "Passerelle", "", "CAF du Tarn", "CAF", value]])
    response = client.post(
        reverse("funding:import", args=[SLUG]),
        {"file": SimpleUploadedFile(f"montants.{fmt}", content)},
    )
    assert response.status_code == 400
    assert "Montant illisible pour 2023" in response.content.decode().replace("\u00a0", " ")


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("L" * 301, "Le libellé est trop long (301 caractères)"),
        ("Ligne\x01contrôle", "caractère de contrôle"),
    ],
)
def test_labels_are_checked_in_the_preview(client, caf_staff, seeded, label, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(caf_staff)
    header = "Ligne de financement;Structure;Catégorie;Financeur;Part;2023"
    content = f"{header}\r\n{label};;;CAF du Tarn;CAF;100\r\n".encode()
    response = client.post(
        reverse("funding:import", args=[SLUG]),
        {"file": SimpleUploadedFile("montants.csv", content)},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["token"] is None  # nothing can be confirmed


def test_control_characters_never_break_an_export(client, coordinator, seeded):
    from funding.models import FundingLine

    seeded.action_sheets.filter(number=4).update(title="Titre\x01avec\x1bcontrôle")
    FundingLine.objects.filter(convention=seeded, label="Passerelle").update(label="Passe\x0brelle")
    client.force_login(coordinator)
    for url in (
        reverse("actions:export", args=[SLUG, "xlsx"]),
        reverse("funding:export", args=[SLUG, "xlsx"]),
        reverse("funding:export", args=[SLUG, "ods"]),
        reverse("funding:export", args=[SLUG, "csv"]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:  # the CSV: the characters are gone, the text is kept
            body = b"".join(response.streaming_content).decode("utf-8-sig")
            assert "\x0b" not in body and "Passerelle" in body
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("actions:export", args=[SLUG, "xlsx"])).content)
    )
    titles = [row[1] for row in workbook.active.iter_rows(values_only=True)]
    assert "Titreaveccontrôle" in titles


def grid_data(form):
    data = {name: form[name].value() for name in form.fields}
    return {k: ("" if v is None else str(v).replace(".", ",")) for k, v in data.items()}


def test_amounts_grid_keeps_a_colleagues_cell_and_lets_a_refused_user_save(
    client, coordinator, caf_staff, seeded
):
    from decimal import Decimal

    from django.test import Client

    from funding.models import FundingAmount

    passerelle = seeded.funding_lines.get(label="Passerelle")
    loco = seeded.funding_lines.get(label="La Petite Loco")
    url = reverse("funding:amounts", args=[SLUG])
    client.force_login(coordinator)
    mine = grid_data(client.get(url).context["form"])  # opened before the colleague's save
    colleague = Client()
    colleague.force_login(caf_staff)
    theirs = grid_data(colleague.get(url).context["form"])
    theirs[f"amount-{passerelle.pk}-2024"] = "35 000"
    theirs[f"amount-{loco.pk}-2024"] = "41 000"
    assert colleague.post(url, theirs).status_code == 302

    # This user changed another cell only: saved, and the colleague's cells are kept.
    first = dict(mine)
    first[f"amount-{passerelle.pk}-2025"] = "36 000"
    assert client.post(url, first).status_code == 302
    assert FundingAmount.objects.get(line=passerelle, year=2024).planned == Decimal("35000")
    assert FundingAmount.objects.get(line=loco, year=2024).planned == Decimal("41000")
    assert FundingAmount.objects.get(line=passerelle, year=2025).planned == Decimal("36000")

    # A cell both changed: refused, the colleague's value shown; saving again applies it.
    clash = dict(mine)
    clash[f"amount-{loco.pk}-2024"] = "42 000"
    response = client.post(url, clash)
    assert response.status_code == 400
    assert "Modifié entre-temps par quelqu’un d’autre, en 41\u00a0000\u00a0€" in (
        response.content.decode().replace("&nbsp;", "\u00a0")
    )
    retry = grid_data(response.context["form"])
    assert retry[f"seen-{loco.pk}-2024"] == "41000,00"
    assert client.post(url, retry).status_code == 302
    assert FundingAmount.objects.get(line=loco, year=2024).planned == Decimal("42000")


def test_amounts_grid_without_the_values_seen_is_refused(client, caf_staff, seeded):
    line = seeded.funding_lines.get(label="Passerelle")
    client.force_login(caf_staff)
    response = client.post(reverse("funding:amounts", args=[SLUG]), {f"amount-{line.pk}-2024": "1"})
    assert response.status_code == 400
    assert "Ce formulaire a expiré" in response.content.decode()


def preview(client, rows):
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = "Ligne de financement;Structure;Catégorie;Financeur;Part;2023;2024;2025"
    content = ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode()
    response = client.post(
        reverse("funding:import", args=[SLUG]),
        {"file": SimpleUploadedFile("montants.csv", content)},
    )
    assert response.status_code == 200
    return response.context["token"]


def test_import_confirm_refused_when_the_funding_changed_since_the_preview(
    client, caf_staff, coordinator, seeded
):
    from decimal import Decimal

    from django.test import Client

    from funding.models import FundingAmount

    line = seeded.funding_lines.get(label="Passerelle")
    client.force_login(caf_staff)
    token = preview(client, ["Passerelle;Passerelle;;CAF du Tarn;CAF;34000;1000;34000"])
    colleague = Client()
    colleague.force_login(coordinator)
    FundingAmount.objects.filter(line=line, year=2024).update(planned=Decimal("800"))
    response = client.post(
        reverse("funding:import_confirm", args=[SLUG]), {"token": token}, follow=True
    )
    html = response.content.decode().replace("\u00a0", " ")
    assert "Rien n’a été importé" in html and "« Passerelle », 2024" in html
    assert FundingAmount.objects.get(line=line, year=2024).planned == Decimal("800")
    # Sent again: no longer pending, told so, nothing written.
    response = client.post(
        reverse("funding:import_confirm", args=[SLUG]), {"token": token}, follow=True
    )
    assert "n’est plus en attente" in response.content.decode()
    assert FundingAmount.objects.get(line=line, year=2024).planned == Decimal("800")


def test_import_matches_lines_as_its_preview_did(client, caf_staff, seeded):
    """The preview matched 'passerelle' to 'Passerelle' (casefold): the confirm updates that
    line (by its id), it never creates a second one (SQLite's iexact folds ASCII only)."""
    from funding.models import FundingLine

    line = seeded.funding_lines.get(label="Passerelle")
    line.label = "Équipe Passerelle"
    line.save()
    client.force_login(caf_staff)
    token = preview(client, ["équipe passerelle;Passerelle;;CAF du Tarn;CAF;34000;35000;34000"])
    response = client.post(reverse("funding:import_confirm", args=[SLUG]), {"token": token})
    assert response.status_code == 302
    assert FundingLine.objects.filter(convention=seeded, label__icontains="passerelle").count() == 1


def upload_file(client, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("funding:import", args=[SLUG]), {"file": SimpleUploadedFile(name, content)}
    )


def test_an_xlsx_declaring_16384_columns_is_read_within_bounds(client, caf_staff, seeded):
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Ligne de financement", "Structure", "Catégorie", "Financeur", "Part", 2023])
    for index in range(2000):
        sheet.cell(row=index + 2, column=1, value=f"Ligne {index}")
    sheet["XFD2002"] = "x"  # the sheet now declares A1:XFD2002
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.force_login(caf_staff)
    response = upload_file(client, "large.xlsx", buffer.getvalue())
    assert response.status_code == 200  # 2 000 new lines (the CAF funds them by default)
    assert len(response.context["preview"].rows) == 2000


def test_too_many_rows_or_columns_are_refused_in_french(client, caf_staff, seeded):
    header = "Ligne de financement;Structure;Catégorie;Financeur;Part;2023"
    client.force_login(caf_staff)
    rows = "\r\n".join(f"Ligne {i};;;CAF du Tarn;CAF;1" for i in range(5001))
    response = upload_file(client, "rows.csv", f"{header}\r\n{rows}\r\n".encode())
    assert response.status_code == 400
    assert "plus de 5" in response.content.decode() and "lignes" in response.content.decode()
    wide = ";".join(["x"] * 51)
    response = upload_file(client, "wide.csv", f"{header}\r\n{wide}\r\n".encode())
    assert response.status_code == 400
    assert "plus de 50 colonnes" in response.content.decode()


def test_a_zip_bomb_is_refused(client, caf_staff, seeded):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (51 * 1024 * 1024))
    client.force_login(caf_staff)
    response = upload_file(client, "bomb.xlsx", buffer.getvalue())
    assert response.status_code == 400
    assert "plus de 50" in response.content.decode()
