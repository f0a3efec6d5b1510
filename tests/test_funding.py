"""CAF staff's funding tables: totals, planned vs paid, exports, imports, permissions."""

import csv
import datetime
import io
import math
import zoneinfo
from decimal import Decimal

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from conventions.models import Partner
from funding.models import FundingAmount, FundingLine, Payment
from funding.reports import funding_table

from .factories import FundingAmountFactory, FundingLineFactory, StructureFactory
from .helpers import once

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# Date-dependent: "today" is frozen (a day inside the seed's period, 2023–2025).

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS), tick=False),
]

SLUG = "thore-montagne-noire-2023-2025"
TABLE = reverse("funding:table", args=[SLUG])
NBSP = "\u00a0"
SEED_LINES = {
    "La Petite Loco": Decimal("40800"),
    "Passerelle": Decimal("34000"),
    "Les Snorky’s": Decimal("34000"),
    "MJC St-Amans/Albine": Decimal("16782"),
    "MJC St-Baudille": Decimal("3095"),
    "Les Galopins": Decimal("25760"),
    "Amicale laïque (périscolaire, extrascolaire et jeunesse)": Decimal("29430"),
    "SMIX de St-Amans": Decimal("17421"),
}


def export_url(fmt):
    return reverse("funding:export", args=[SLUG, fmt])


def add_local_share(convention, amount="5000.50"):
    commune = Partner.objects.get(insee_code="81005")
    line = FundingLineFactory(
        convention=convention, label="Part communale d’Albine", funder=commune, category="local"
    )
    FundingAmountFactory(line=line, year=2024, planned=Decimal(amount))
    return line


# --- totals -----------------------------------------------------------------------------


def test_seed_totals(seeded):
    table = funding_table(seeded)
    assert table.years == [2023, 2024, 2025]
    assert table.per_year == [Decimal("241801")] * 3
    assert table.total == Decimal("725403")
    assert table.caf.total == Decimal("725403") and table.local.total == 0
    totals = {row.line.label: row.total for row in table.rows}
    for label, yearly in SEED_LINES.items():
        assert totals[label] == yearly * 3
    assert {label: total for label, _years, total in table.per_category_per_year} == {
        "coordination CTG": Decimal("121539"),
        "bonus territoire CTG": Decimal("603864"),
    }


def test_totals_after_edits(seeded):
    amount = FundingAmount.objects.get(line__label="Passerelle", year=2024)
    amount.planned = Decimal("35000.25")
    amount.save()
    add_local_share(seeded)
    table = funding_table(seeded)
    assert table.caf.per_year == [Decimal("241801"), Decimal("242801.25"), Decimal("241801")]
    assert table.local.per_year == [0, Decimal("5000.50"), 0]
    assert table.per_year[1] == Decimal("247801.75")
    assert table.total == Decimal("731403.75")
    per_category = {label: total for label, _years, total in table.per_category_per_year}
    assert per_category["fonds locaux"] == Decimal("5000.50")


def test_table_page_shows_the_figures(client, caf_staff, seeded):
    add_local_share(seeded)
    client.force_login(caf_staff)
    html = client.get(TABLE).content.decode().replace("&nbsp;", NBSP)
    assert f"241{NBSP}801{NBSP}€" in html
    assert f"725{NBSP}403{NBSP}€" in html
    assert f"5{NBSP}000,50{NBSP}€" in html  # the collectivités' share, apart
    assert "Part propre des collectivités" in html
    assert f"730{NBSP}403,50{NBSP}€" in html  # together


# --- planned vs paid ----------------------------------------------------------------------


def test_record_payments_and_flag_overpayment(client, caf_staff, seeded):
    line = FundingLine.objects.get(convention=seeded, label="La Petite Loco")
    client.force_login(caf_staff)
    url = reverse("funding:payment_add", args=[SLUG])
    for amount, day, kind in [
        ("14280", "2024-03-15", "advance"),
        ("14280", "2024-10-15", "advance"),
    ]:
        response = client.post(
            url,
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
    response = client.get(TABLE + "?annee=2024")
    row = next(r for r in response.context["year_rows"] if r.line == line)
    assert (row.planned, row.paid, row.remaining, row.overpaid) == (
        Decimal("40800"),
        Decimal("28560"),
        Decimal("12240"),
        False,
    )
    client.post(
        url,
        {
            "line": line.pk,
            "year": 2024,
            "amount": "12 500,00",
            "paid_on": "2025-04-01",
            "kind": "balance",
            "submission": once(),
        },
    )
    response = client.get(TABLE + "?annee=2024")
    row = next(r for r in response.context["year_rows"] if r.line == line)
    assert row.overpaid and row.overpayment == Decimal("260")
    html = response.content.decode().replace("&nbsp;", NBSP)
    assert f"trop-perçu de 260{NBSP}€" in html
    assert Payment.objects.filter(funding_amount__line=line).count() == 3


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "-5"}, "amount", "Un versement est un montant positif"),
        ({"amount": "12 3a4,00"}, "amount", "Saisissez un nombre"),
        ({"paid_on": "2999-01-01"}, "paid_on", "Cette date est dans le futur"),
        ({"year": 2030}, "year", "hors de la période"),
        ({"line": 999999}, "line", "Sélectionnez un choix valide"),
    ],
)
def test_bad_payment_answers_in_french(client, caf_staff, seeded, data, field, message):
    line = FundingLine.objects.get(convention=seeded, label="Passerelle")
    client.force_login(caf_staff)
    payload = {
        "line": line.pk,
        "year": 2024,
        "amount": "100",
        "paid_on": "2024-03-01",
        "kind": "advance",
        "note": "ma note",
        "submission": once(),
        **data,
    }
    response = client.post(reverse("funding:payment_add", args=[SLUG]), payload)
    assert response.status_code == 400
    assert message in " ".join(response.context["payment_form"].errors[field])
    assert 'value="ma note"' in response.content.decode()
    assert not Payment.objects.exists()


def test_payment_on_a_line_of_another_convention_refused(client, caf_staff, other_convention):
    foreign = FundingLineFactory(convention=other_convention)
    FundingAmountFactory(line=foreign, year=2024)
    client.force_login(caf_staff)
    response = client.post(
        reverse("funding:payment_add", args=[SLUG]),
        {
            "line": foreign.pk,
            "year": 2024,
            "amount": "10",
            "paid_on": "2024-01-01",
            "kind": "advance",
            "submission": once(),
        },
    )
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_edit_planned_amounts(client, coordinator, seeded):
    line = FundingLine.objects.get(convention=seeded, label="Passerelle")
    client.force_login(coordinator)
    url = reverse("funding:amounts", args=[SLUG])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else str(v).replace(".", ",")) for k, v in data.items()}
    data[f"amount-{line.pk}-2025"] = "36 500,50"
    response = client.post(url, data)
    assert response.status_code == 302
    assert FundingAmount.objects.get(line=line, year=2025).planned == Decimal("36500.50")
    # A negative amount and a stale cell are refused, nothing written.
    data2 = dict(data)
    data2[f"amount-{line.pk}-2024"] = "-1"
    response = client.post(url, data2)
    assert response.status_code == 400
    assert "Un montant ne peut pas être négatif" in response.content.decode()
    # Someone who opened the grid before that save (seen: 34 000) types another 2025 figure.
    stale = dict(data)
    stale[f"amount-{line.pk}-2025"] = "37 000"
    response = client.post(url, stale)
    assert response.status_code == 400
    assert "Modifié entre-temps" in response.content.decode()
    assert FundingAmount.objects.get(line=line, year=2024).planned == Decimal("34000")
    assert (
        FundingAmount.history.filter(line_id=line.pk, year=2025).first().history_user == coordinator
    )


# --- exports ----------------------------------------------------------------------------


def page_figures(client):
    table = client.get(TABLE).context["table"]
    return {row.line.label: row.amounts for row in table.rows}, table.per_year, table.total


def test_csv_export_reads_back(client, caf_staff, seeded):
    client.force_login(caf_staff)
    response = client.get(export_url("csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.date.today().isoformat()
    assert f'filename="financements-{SLUG}-{today}.csv"' in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Ligne de financement", "Structure", "Catégorie", "Financeur", "Part"]
    lines, _per_year, _total = page_figures(client)
    by_label = {r[0]: r for r in rows[1:]}
    assert by_label["La Petite Loco"][5:9] == ["40800,00", "40800,00", "40800,00", "122400,00"]
    for label, amounts in lines.items():
        assert [Decimal(c.replace(",", ".")) for c in by_label[label][5:8]] == amounts
    assert by_label["Total (tous financeurs)"][5:9] == ["241801,00"] * 3 + ["725403,00"]
    page_total = client.get(TABLE).context["table"].total
    assert Decimal(by_label["Total (tous financeurs)"][8].replace(",", ".")) == page_total


def test_xlsx_export_reads_back(client, caf_staff, seeded):
    client.force_login(caf_staff)
    response = client.get(export_url("xlsx"))
    # data_only: the totals are formulas, read here through the values they carry
    workbook = load_workbook(io.BytesIO(response.content), data_only=True)
    sheet = workbook.active
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[5:9] == (2023, 2024, 2025, "Total")
    assert sheet.cell(row=1, column=1).font.bold
    lines, _per_year, _total = page_figures(client)
    by_label = {r[0]: r for r in rows[1:]}
    for label, amounts in lines.items():
        assert [Decimal(str(v)) for v in by_label[label][5:8]] == amounts
    total_row = by_label["Total (tous financeurs)"]
    assert total_row[5:9] == (241801, 241801, 241801, 725403)
    cell = next(c for c in sheet[3] if isinstance(c.value, int | float))
    assert cell.data_type == "n" and "€" in cell.number_format


def test_ods_export_reads_back(client, caf_staff, seeded):
    client.force_login(caf_staff)
    response = client.get(export_url("ods"))
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    data = tablib.Dataset().load(response.content, format="ods")
    by_label = {row[0]: row for row in data}
    assert by_label["La Petite Loco"][5:9] == (40800.0, 40800.0, 40800.0, 122400.0)
    assert by_label["Total (tous financeurs)"][8] == 725403.0


def test_exports_neutralise_formulas(client, caf_staff, seeded):
    line = FundingLine.objects.get(convention=seeded, label="Passerelle")
    line.label = '=HYPERLINK("http://x")'
    line.save()
    client.force_login(caf_staff)
    raw = b"".join(client.get(export_url("csv")).streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in raw
    assert ";=HYPERLINK" not in raw and "\n=HYPERLINK" not in raw
    sheet = load_workbook(io.BytesIO(client.get(export_url("xlsx")).content)).active
    cells = [c for row in sheet.iter_rows() for c in row if "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" and str(c.value).startswith("'") for c in cells)
    data = tablib.Dataset().load(client.get(export_url("ods")).content, format="ods")
    assert any(str(row[0]) == '\'=HYPERLINK("http://x")' for row in data)


def test_sheet_exports(client, elected, seeded):
    client.force_login(elected)
    for fmt in ("csv", "xlsx", "ods"):
        response = client.get(reverse("actions:export", args=[SLUG, fmt]))
        assert response.status_code == 200
        assert f"fiches-actions-{SLUG}" in response["Content-Disposition"]
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("actions:export", args=[SLUG, "xlsx"])).content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 17
    assert rows[4][0] == 4 and rows[4][1].startswith("Harmoniser l’offre périscolaire")


# --- imports ----------------------------------------------------------------------------


def upload(client, content, name):
    return client.post(
        reverse("funding:import", args=[SLUG]), {"file": SimpleUploadedFile(name, content)}
    )


def snapshot():
    return sorted(FundingAmount.objects.values_list("line__label", "year", "planned"))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_export_import_round_trip_changes_nothing(client, caf_staff, seeded, fmt):
    add_local_share(seeded)
    client.force_login(caf_staff)
    response = client.get(export_url(fmt))
    content = b"".join(response.streaming_content) if fmt == "csv" else response.content
    before = snapshot()
    response = upload(client, content, f"export.{fmt}")
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.is_valid, [(r.number, r.errors) for r in preview.rows] + preview.file_errors
    assert {r.action for r in preview.rows} == {"unchanged"}
    assert len(preview.rows) == 10
    assert snapshot() == before


def csv_file(*rows):
    header = "Ligne de financement;Structure;Catégorie;Financeur;Part;2023;2024;2025;Total"
    return ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8")


def test_import_errors_reported_on_their_rows(client, caf_staff, seeded):
    client.force_login(caf_staff)
    content = csv_file(
        "Passerelle;Crèche fantôme;;CAF du Tarn;CAF;34000;34000;34000;",
        "Les Galopins;Les Galopins;;CAF du Tarn;CAF;-5;25760;25760;",
        "La Petite Loco;La Petite Loco;;CAF du Tarn;CAF;12 3a4,00;40800;40800;",
        "Nouvelle ligne;;;Inconnu SA;CAF;1;1;1;",
    )
    before = snapshot()
    response = upload(client, content, "montants.csv")
    assert response.status_code == 400
    rows = {r.number: r.errors for r in response.context["preview"].rows}
    assert "Structure inconnue" in rows[2][0] and "Crèche fantôme" in rows[2][0]
    assert "Montant négatif pour 2023" in rows[3][0]
    assert "Montant illisible pour 2023" in rows[4][0] and "12 3a4,00" in rows[4][0]
    assert "Financeur inconnu" in rows[5][0]
    html = response.content.decode()
    assert "rien ne sera enregistré" in html
    assert 'name="token"' not in html  # no confirmation possible
    assert snapshot() == before


def test_import_year_outside_the_period(client, caf_staff, seeded):
    client.force_login(caf_staff)
    content = b"Ligne de financement;Financeur;2025;2026\r\nPasserelle;CAF du Tarn;34000;5\r\n"
    response = upload(client, content, "a.csv")
    errors = response.context["preview"].rows[0].errors
    assert errors == ["L’année 2026 est hors de la période de la convention (2023–2025)."]
    assert response.status_code == 400


def test_import_recognises_totals_by_their_shape_not_their_words(client, caf_staff, seeded):
    """Rows of totals end the file with structure, category and funder empty, whatever their
    label says (a file exported in another language, or renamed by hand); a row that names an
    existing line stays a line even there."""
    client.force_login(caf_staff)
    content = csv_file(
        "Passerelle;Passerelle;bonus territoire CTG;CAF du Tarn;CAF;34000;34000;35000;",
        "Les Galopins;;;;;25760;25760;26000;",  # an existing line, changed by its label only
        "Grand total (all funders);;;;;1;2;3;6",
        "Somme;;;;;4;5;6;15",
    )
    response = upload(client, content, "montants.csv")
    assert response.status_code == 200
    preview = response.context["preview"]
    assert [row.label for row in preview.rows] == ["Passerelle", "Les Galopins"]
    assert preview.totals == ["Grand total (all funders)", "Somme"]
    assert "Grand total (all funders), Somme" in response.content.decode()


def test_a_line_without_funder_amid_the_lines_is_reported(client, caf_staff, seeded):
    client.force_login(caf_staff)
    content = csv_file(
        "Ligne inconnue;;;;;1;2;3;",
        "Passerelle;Passerelle;bonus territoire CTG;CAF du Tarn;CAF;34000;34000;35000;",
    )
    response = upload(client, content, "montants.csv")
    preview = response.context["preview"]
    assert [row.label for row in preview.rows] == ["Ligne inconnue", "Passerelle"]
    assert preview.totals == []


def test_valid_import_previewed_then_applied(client, caf_staff, seeded):
    StructureFactory(convention=seeded, name="Nouvelle crèche")
    client.force_login(caf_staff)
    content = csv_file(
        "Passerelle;Passerelle;bonus territoire CTG;CAF du Tarn;CAF;34000;34000;36000,50;",
        "Nouvelle crèche;Nouvelle crèche;bonus territoire CTG;CAF du Tarn;CAF;;10000;20000;",
        "Total CAF;;;;;1;2;3;6",  # a row of totals: ignored
    )
    before = snapshot()
    response = upload(client, content, "montants.csv")
    assert response.status_code == 200
    preview = response.context["preview"]
    assert [(r.label, r.action) for r in preview.rows] == [
        ("Passerelle", "update"),
        ("Nouvelle crèche", "create"),
    ]
    assert "2025\u00a0: 34\u00a0000\u00a0€ → 36\u00a0000,50\u00a0€" in preview.rows[0].changes
    assert snapshot() == before  # nothing written before confirmation
    token = response.context["token"]
    response = client.post(reverse("funding:import_confirm", args=[SLUG]), {"token": token})
    assert response.status_code == 302
    assert FundingAmount.objects.get(line__label="Passerelle", year=2025).planned == Decimal(
        "36000.50"
    )
    new = FundingLine.objects.get(convention=seeded, label="Nouvelle crèche")
    assert [a.planned for a in new.amounts.order_by("year")] == [Decimal("10000"), Decimal("20000")]
    # The token is spent: a second confirmation applies nothing.
    response = client.post(reverse("funding:import_confirm", args=[SLUG]), {"token": token})
    assert response.status_code == 302
    assert FundingLine.objects.filter(label="Nouvelle crèche").count() == 1


def insert_statements(model, count):
    """The statements a bulk insert of `count` rows takes: one on PostgreSQL, several on
    SQLite (Django keeps each within its 999 parameters)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return math.ceil(count / connection.ops.bulk_batch_size(fields, [None] * count))


def test_a_5000_line_import_confirms_in_a_bounded_number_of_queries(client, caf_staff, seeded):
    client.force_login(caf_staff)
    new = [f"Ligne importée {n};;;CAF du Tarn;CAF;1000;1000;1000;" for n in range(4998)]
    content = csv_file(
        "Passerelle;;;;;35000;35000;35000;",  # amounts changed
        "Les Galopins;;coordination CTG;;;25760;25760;25760;",  # category changed
        *new,
    )
    response = upload(client, content, "montants.csv")
    assert response.status_code == 200
    assert response.context["preview"].count("create") == 4998
    token = response.context["token"]
    # Fixed: session, user, membership, the pending import (take, delete), the convention's
    # lock, lines, amounts, funders, the two updates with their history; then the inserts.
    bound = 30 + sum(
        insert_statements(model, count)
        for model, count in [
            (FundingLine, 4998),
            (FundingLine.history.model, 4998),
            (FundingAmount, 3 * 4998),
            (FundingAmount.history.model, 3 * 4998),
        ]
    )
    if connection.vendor == "postgresql":
        assert bound < 50
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("funding:import_confirm", args=[SLUG]), {"token": token})
    assert response.status_code == 302 and response["Location"] == TABLE
    assert len(queries) <= bound, len(queries)

    table = funding_table(seeded)
    assert len(table.rows) == 9 + 4998
    per_year = Decimal("241801") + 1000 + 4998 * 1000
    assert table.per_year == [per_year] * 3 and table.total == 3 * per_year
    galopins = FundingLine.objects.get(convention=seeded, label="Les Galopins")
    assert galopins.category == "coordination" and galopins.structure is not None
    # The history is kept, by whom it was imported.
    assert FundingLine.history.filter(history_type="+", history_user=caf_staff).count() == 4998
    assert galopins.history.latest("history_id").history_type == "~"
    passerelle = FundingAmount.objects.get(line__label="Passerelle", year=2024)
    assert [h.planned for h in passerelle.history.order_by("history_id")] == [
        Decimal("34000"),
        Decimal("35000"),
    ]
    # What the confirm wrote without validating row by row passes the models' validation
    # (a sample: full_clean reads the database for each row).
    lines = FundingLine.objects.filter(convention=seeded).select_related("convention")
    for line in lines.order_by("-pk")[:20]:
        line.full_clean()
    galopins.full_clean()
    amounts = FundingAmount.objects.filter(line__convention=seeded).select_related(
        "line__convention"
    )
    for amount in [*amounts.order_by("-pk")[:20], passerelle]:
        amount.full_clean()


def test_an_import_refers_to_what_still_exists(client, caf_staff, seeded):
    structure = StructureFactory(convention=seeded, name="Nouvelle crèche")
    client.force_login(caf_staff)
    response = upload(
        client, csv_file("Nouvelle ligne;Nouvelle crèche;;CAF du Tarn;CAF;;10000;;"), "m.csv"
    )
    structure.delete()  # between the preview and the confirm
    response = client.post(
        reverse("funding:import_confirm", args=[SLUG]),
        {"token": response.context["token"]},
        follow=True,
    )
    html = response.content.decode().replace("\u00a0", " ")
    assert "Rien n’a été importé" in html
    assert "« Nouvelle ligne » : sa structure a été supprimée entre-temps" in html
    assert not FundingLine.objects.filter(label="Nouvelle ligne").exists()


def test_the_database_guards_an_import_against_a_line_written_meanwhile(client, caf_staff, seeded):
    """A line created between the checks and the insert by a path that takes no lock (the
    admin) is refused by the unique constraint: a French refusal, not a 500."""
    from unittest import mock

    client.force_login(caf_staff)
    response = upload(client, csv_file("Nouvelle ligne;;;CAF du Tarn;CAF;;10000;;"), "m.csv")
    FundingLineFactory(convention=seeded, label="Nouvelle ligne")
    with mock.patch("funding.imports.changes_since_preview", return_value=[]):
        response = client.post(
            reverse("funding:import_confirm", args=[SLUG]),
            {"token": response.context["token"]},
            follow=True,
        )
    html = response.content.decode()
    assert "Rien n’a été importé" in html and "écrit entre-temps" in html
    assert FundingLine.objects.filter(label="Nouvelle ligne").count() == 1
    assert not FundingAmount.objects.filter(line__label="Nouvelle ligne").exists()


def test_a_refusal_lists_ten_changes_and_counts_the_others(client, caf_staff, seeded):
    client.force_login(caf_staff)
    rows = [f"Ligne {n};;;CAF du Tarn;CAF;1;2;3;" for n in range(30)]
    response = upload(client, csv_file(*rows), "m.csv")
    for n in range(30):
        FundingLineFactory(convention=seeded, label=f"Ligne {n}")
    response = client.post(
        reverse("funding:import_confirm", args=[SLUG]),
        {"token": response.context["token"]},
        follow=True,
    )
    html = response.content.decode()
    assert "« Ligne 9 » : créée entre-temps" in html and "« Ligne 10 »" not in html
    assert "et 20 autres changements" in html


def test_import_refuses_big_or_foreign_files(client, caf_staff, seeded):
    client.force_login(caf_staff)
    response = upload(client, b"x" * (5 * 1024 * 1024 + 1), "gros.csv")
    assert response.status_code == 400
    assert "trop volumineux" in response.content.decode()
    response = upload(client, b"%PDF-1.4", "montants.pdf")
    assert response.status_code == 400
    assert "extension" in response.content.decode()
    response = upload(client, b"not a zip", "montants.xlsx")
    assert response.status_code == 400
    assert "n’a pas pu être lu" in response.content.decode()


# --- query counts -----------------------------------------------------------------------


def add_lines(convention, count):
    caf = Partner.objects.get(kind="caf")
    lines = FundingLine.objects.bulk_create(
        FundingLine(convention=convention, label=f"Ligne {n}", funder=caf, position=100 + n)
        for n in range(count)
    )
    amounts = FundingAmount.objects.bulk_create(
        FundingAmount(line=line, year=year, planned=Decimal("1000"))
        for line in lines
        for year in (2023, 2024, 2025)
    )
    Payment.objects.bulk_create(
        Payment(funding_amount=a, amount=Decimal("350"), paid_on=datetime.date(a.year, 3, 15))
        for a in amounts
    )


def test_query_counts_do_not_grow_with_2000_lines(client, caf_staff, seeded):
    client.force_login(caf_staff)
    urls = [
        TABLE,
        TABLE + "?annee=2024",
        export_url("csv"),
        export_url("xlsx"),
        export_url("ods"),
        reverse("funding:amounts", args=[SLUG]),
    ]

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
                if url.endswith(".csv"):
                    b"".join(response.streaming_content)
            result.append(len(queries))
        return result

    small = counts()
    add_lines(seeded, 1991)  # 2 000 lines
    large = counts()
    assert large == small
    assert max(large) <= 12


def test_year_table_totals_every_column_of_figures(client, caf_staff, seeded):
    passerelle = FundingAmount.objects.get(
        line__convention=seeded, line__label="Passerelle", year=2024
    )
    loco = FundingAmount.objects.get(
        line__convention=seeded, line__label="La Petite Loco", year=2024
    )
    Payment.objects.create(
        funding_amount=passerelle, amount=Decimal("10000"), paid_on=datetime.date(2024, 6, 1)
    )
    Payment.objects.create(
        funding_amount=loco, amount=Decimal("41000"), paid_on=datetime.date(2024, 6, 1)
    )
    client.force_login(caf_staff)
    response = client.get(TABLE + "?annee=2024")
    rows = response.context["year_rows"]
    assert rows.planned == Decimal("241801") and rows.paid == Decimal("51000")
    # What remains to pay: an overpaid line reduces no other line's remainder.
    assert rows.remaining == Decimal("241801") - Decimal("10000") - Decimal("40800")
    assert rows.overpayment == Decimal("200")
    footer = response.content.decode().split('id="paid-table"')[1].split("<tfoot>")[1]
    assert f"191{NBSP}001{NBSP}€" in footer and f"200{NBSP}€" in footer
