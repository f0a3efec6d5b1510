"""The year's bilan as documents: the PDF (read back with pdftotext and pdfinfo: cover, table
of contents with page numbers, figures, a section per objective and sheet, numbered pages),
the Word document (python-docx: heading styles, tables with a header row, the TOC and PAGE
fields) and the reviews' spreadsheet (openpyxl); their access and their query guards at 16
and 300 sheets."""

import datetime
import io
import shutil
import subprocess
import zoneinfo
from decimal import Decimal

import docx
import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import ActionSheet
from bilans.models import SheetReview, YearBilan

from .factories import IndicatorFactory, IndicatorValueFactory, StepFactory
from .test_action_sheet_list import add_sheets

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2025, 6, 16, 10, 0, tzinfo=PARIS)
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(NOW, tick=False),
    pytest.mark.skipif(
        not shutil.which("pdftotext"), reason="poppler-utils (pdfinfo, pdftotext) not installed"
    ),
]

SLUG = "thore-montagne-noire-2023-2025"
NBSP = "\u00a0"
NNBSP = "\u202f"


def report_url(extension, year=2024, slug=SLUG):
    return reverse(f"bilans:report_{extension}", args=[slug, year])


def pdf_text(content, tmp_path):
    path = tmp_path / "bilan.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    pages = int(next(line for line in info.stdout.splitlines() if line.startswith("Pages:"))[6:])
    return text.replace(NBSP, " ").replace(NNBSP, " "), pages


@pytest.fixture
def bilan(seeded, coordinator):
    """Sheet 4 reviewed and validated for 2024 with an indicator reached; sheet 1 a draft."""
    sheet = ActionSheet.objects.get(convention=seeded, number=4)
    SheetReview.objects.create(
        sheet=sheet,
        year=2024,
        state=SheetReview.State.VALIDATED,
        validated_at=datetime.datetime(2025, 3, 14, 11, 0, tzinfo=PARIS),
        validated_by=coordinator,
        achievements="Trois ateliers parents-enfants ouverts.",
        difficulties="Recrutement lent des animateurs.",
        adjustments="Ouvrir un atelier le samedi.",
        proposed_status=ActionSheet.Status.IN_PROGRESS,
    )
    SheetReview.objects.create(
        sheet=ActionSheet.objects.get(convention=seeded, number=1),
        year=2024,
        achievements="Brouillon de la fiche 1.",
    )
    indicator = IndicatorFactory(
        sheet=sheet,
        label="Familles accueillies",
        unit="familles",
        baseline=Decimal(12),
        yearly_targets={"2024": "20"},
    )
    IndicatorValueFactory(indicator=indicator, measured_on=datetime.date(2024, 9, 1), value=25)
    StepFactory(sheet=sheet, title="Lancer", done_on=datetime.date(2024, 4, 2))
    YearBilan.objects.create(convention=seeded, year=2024, synthesis="Une année de mise en route.")
    # The seed's sheets as they were written in January 2024 (the seed runs at NOW): the
    # "as of 31/12/2024" figures come from the history.
    ActionSheet.history.filter(convention_id=seeded.pk).update(
        history_date=datetime.datetime(2024, 1, 10, 9, 0, tzinfo=PARIS)
    )
    return sheet


def test_pdf(client, seeded, elected, bilan, tmp_path):
    client.force_login(elected)
    response = client.get(report_url("pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="bilan-{SLUG}-2024.pdf"'
    text, pages = pdf_text(response.content, tmp_path)
    assert pages >= 5  # the cover, the contents, the figures, the synthesis, the objectives
    cover = text.split("\f")[0]
    assert "Bilan 2024" in cover and seeded.title[:30] in cover
    assert "Édité le 16/06/2025" in cover
    assert "Page" not in cover  # no footer on the cover
    for expected in [
        "Sommaire",
        "L’année en chiffres, au 31/12/2024",
        "Synthèse",
        "Une année de mise en route.",
        f"4. {bilan.title[:30]}",
        "Trois ateliers parents-enfants ouverts.",
        "Recrutement lent des animateurs.",
        "Ouvrir un atelier le samedi.",
        "Validé — validé par",
        "Familles",  # its label wraps in its column
        "25 (01/09/2024) atteint",
        "Brouillon de la fiche 1.",
        "Financements CAF prévus",
        "241 801 €",
        f"Page 2 / {pages}",
        f"Page {pages} / {pages}",
    ]:
        assert expected in text, expected
    # The table of contents gives each sheet's page: the page where its section is.
    contents = text.split("\f")[1]
    line = next(line for line in contents.splitlines() if line.strip().startswith("4. "))
    page = int(line.split()[-1])
    assert "Trois ateliers parents-enfants ouverts." in text.split("\f")[page - 1]
    # The figures, as the year page shows them.
    assert "Indicateurs atteints" in text and "1 sur " in text


def test_pdf_says_the_data_is_a_demonstration(client, seeded, elected, tmp_path):
    seeded.has_demo_data = True
    seeded.save(update_fields=["has_demo_data"])
    client.force_login(elected)
    text, _pages = pdf_text(client.get(report_url("pdf")).content, tmp_path)
    assert "Données de démonstration" in text.split("\f")[0]


def test_docx(client, seeded, pilot, bilan):
    client.force_login(pilot)
    response = client.get(report_url("docx"))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response["Content-Disposition"] == f'attachment; filename="bilan-{SLUG}-2024.docx"'
    document = docx.Document(io.BytesIO(response.content))
    styles = {(p.style.name, p.text.replace(NBSP, " ")) for p in document.paragraphs}
    assert ("Title", "Bilan 2024") in styles
    assert ("Heading 1", "Synthèse") in styles
    assert ("Heading 1", "L’année en chiffres, au 31/12/2024") in styles
    objective = bilan.objective
    assert ("Heading 1", f"Objectif {objective.number} — {objective.title}") in styles
    assert ("Heading 2", f"4. {bilan.title}") in styles
    assert ("Heading 3", "Réalisations de l’année") in styles
    assert ("Normal", "Trois ateliers parents-enfants ouverts.") in styles
    assert ("Normal", "Une année de mise en route.") in styles
    assert any(text == "Étapes réalisées dans l’année : 1" for _s, text in styles)
    # The status table first, then sheet 4's indicators, a header row repeated on each page.
    statuses = document.tables[0]
    assert [c.text for c in statuses.rows[0].cells] == ["Statut", "Fiches"]
    assert statuses.rows[-1].cells[1].text == str(ActionSheet.objects.active().count())
    [indicators] = [t for t in document.tables if t.rows[0].cells[0].text == "Indicateur"]
    rows = [[cell.text for cell in row.cells] for row in indicators.rows]
    assert rows[0] == [
        "Indicateur",
        "Valeur de référence",
        "Cible fixée pour 2024",
        "Dernière valeur de 2024",
        "Résultat",
    ]
    assert rows[1] == ["Familles accueillies (familles)", "12", "20", "25 (01/09/2024)", "atteint"]
    assert indicators.rows[0]._tr.trPr is not None  # the repeated header
    # Word fields: the table of contents, the page numbers in the footer.
    body = document.element.xml
    assert 'TOC \\o "1-2"' in body
    footer = document.sections[0].footer._element.xml
    assert " PAGE " in footer and " NUMPAGES " in footer
    assert document.core_properties.title == f"Bilan 2024 — {seeded.title}"


def test_xlsx(client, seeded, caf_staff, bilan):
    client.force_login(caf_staff)
    response = client.get(report_url("xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="bilan-{SLUG}-2024-2025-06-16.xlsx'
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet.title == "Bilan 2024"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Objectif stratégique",
        "N°",
        "Titre",
        "Bilan de la fiche",
        "Statut au 31/12/2024",
        "Avancement (%)",
        "Réalisations de l’année",
        "Difficultés rencontrées",
        "Ajustements proposés",
        "Statut proposé pour l’année suivante",
    )
    assert len(rows) == 1 + ActionSheet.objects.active().count()
    [row] = [row for row in rows if row[1] == 4]
    assert row[2] == bilan.title
    assert row[3] == "Validé"
    assert row[6:] == (
        "Trois ateliers parents-enfants ouverts.",
        "Recrutement lent des animateurs.",
        "Ouvrir un atelier le samedi.",
        "En cours",
    )
    [draft] = [row for row in rows if row[1] == 1]
    assert draft[3] == "Brouillon" and draft[6] == "Brouillon de la fiche 1."
    assert next(row for row in rows if row[1] == 2)[3] == "Manquant"
    # The second worksheet: the indicators against the year's targets.
    assert workbook.sheetnames == ["Bilan 2024", "Indicateurs"]
    indicators = list(workbook["Indicateurs"].iter_rows(values_only=True))
    assert indicators[0] == (
        "N° de fiche",
        "Fiche",
        "Indicateur",
        "Unité",
        "Valeur de référence",
        "Cible fixée pour 2024",
        "Dernière valeur de 2024",
        "Mesurée le",
        "Résultat",
    )
    [families] = [row for row in indicators[1:] if row[2] == "Familles accueillies"]
    assert families[:2] == (4, bilan.title)
    assert families[3:7] == ("familles", "12", "20", "25")
    assert families[7].date() == datetime.date(2024, 9, 1)
    assert families[8] == "Atteint"


def test_year_page_links_to_the_reports(client, seeded, elected):
    client.force_login(elected)
    body = client.get(reverse("bilans:year", args=[SLUG, 2024])).content.decode()
    for extension in ("pdf", "docx", "xlsx"):
        assert f'href="{report_url(extension)}"' in body


def test_access(client, seeded, outsider, elected):
    for extension in ("pdf", "docx", "xlsx"):
        response = client.get(report_url(extension))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    client.force_login(outsider)
    for extension in ("pdf", "docx", "xlsx"):
        assert client.get(report_url(extension)).status_code == 404
    client.force_login(elected)
    for extension in ("pdf", "docx", "xlsx"):
        assert client.get(report_url(extension, year=2026)).status_code == 404  # not begun
        assert client.get(report_url(extension, year=2022)).status_code == 404  # outside
        assert client.get(report_url(extension, slug="autre")).status_code == 404
        assert client.post(report_url(extension)).status_code == 405


def counted(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), queries, response


def test_query_counts_do_not_grow(client, seeded, coordinator, bilan, tmp_path, settings):
    # Both PDFs laid out in the request, to compare the report's own queries (the printout
    # built in the background and served from the storage: tests/test_stored_printouts.py).
    settings.PRINTOUT_INLINE_BYTES = 10**9
    client.force_login(coordinator)
    extensions = ("pdf", "docx", "xlsx")
    small = {extension: counted(client, report_url(extension))[0] for extension in extensions}
    add_sheets(seeded, 284)  # 300 sheets, each with steps, a note and an indicator value
    for number in range(100, 384, 7):
        SheetReview.objects.create(
            sheet=ActionSheet.objects.get(convention=seeded, number=number),
            year=2024,
            achievements=f"Réalisations de la fiche {number}.",
        )
    large = {}
    for extension in extensions:
        count, queries, large[extension] = counted(client, report_url(extension))
        assert count == small[extension], [q["sql"][:120] for q in queries.captured_queries]
    # The session, the user, the convention and role; the bilan, the sheets, their reviews,
    # their records on 31/12, their steps, their indicators; the year's figures (the records,
    # the steps, the indicators, the funding lines and amounts).
    # The PDF also looks its printout up, then stores it: the row locked, then saved, each
    # in its savepoint (7 queries, whatever the size).
    assert small["docx"] <= 14 and small["pdf"] <= small["docx"] + 7
    text, pages = pdf_text(large["pdf"].content, tmp_path)
    assert "Réalisations de la fiche 107." in text and "383. " in text
    assert f"Page {pages} / {pages}" in text
