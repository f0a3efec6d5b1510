"""The evaluation as documents: the PDF (read back with pdftotext and pdfinfo: cover, table of
contents with page numbers, the ratings, the four questions per objective with their evidence
and indicators, conclusion and recommendations, numbered pages), the Word document
(python-docx: heading styles, tables with a header row, the TOC and PAGE fields) and the
answers' spreadsheet (openpyxl); their access and their query guards at 16 and 300 sheets."""

import datetime
import io
import shutil
import zoneinfo

import docx
import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluations.models import Evaluation, ObjectiveEvaluation

from .test_action_sheet_list import add_sheets
from .test_bilans_reports import pdf_text
from .test_evaluations import evaluate_everything, indicators  # noqa: F401 (a fixture)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2025, 6, 10, 10, 0, tzinfo=PARIS)
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(NOW, tick=False),
    pytest.mark.skipif(
        not shutil.which("pdftotext"), reason="poppler-utils (pdfinfo, pdftotext) not installed"
    ),
]

SLUG = "thore-montagne-noire-2023-2025"
NBSP = "\u00a0"


def report_url(extension, slug=SLUG):
    return reverse(f"evaluations:report_{extension}", args=[slug])


@pytest.fixture
def evaluation(seeded, indicators):  # noqa: F811
    """Objective 1's relevance rated 3 with evidence and its two indicators; a conclusion."""
    evaluation = Evaluation.objects.create(
        convention=seeded,
        conclusion="Une convention tenue dans l’ensemble.",
        recommendations="Resserrer les objectifs de la prochaine convention.",
    )
    answer = ObjectiveEvaluation.objects.create(
        evaluation=evaluation,
        objective=seeded.objectives.get(number=1),
        question="relevance",
        rating=3,
        evidence="Les besoins de garde ont été confirmés par le diagnostic.",
    )
    answer.indicators.set(indicators[:2])
    return evaluation


def test_pdf(client, seeded, elected, evaluation, tmp_path):
    client.force_login(elected)
    response = client.get(report_url("pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="evaluation-{SLUG}.pdf"'
    text, pages = pdf_text(response.content, tmp_path)
    cover = text.split("\f")[0]
    assert "Évaluation" in cover and "Édité le 10/06/2025" in cover and "Page" not in cover
    objective = seeded.objectives.get(number=1)
    for expected in [
        "Sommaire",
        "Appréciations par objectif",
        f"Objectif 1 — {objective.title[:30]}",
        "Pertinence",
        "Efficacité",
        "Efficience",
        "Pérennité",
        "Appréciation : 3/4 — satisfaisant",
        "Les besoins de garde ont été confirmés par le diagnostic.",
        "Places d’accueil",
        "82 (31/05/2025)",
        "Une convention tenue dans l’ensemble.",
        "Resserrer les objectifs de la prochaine convention.",
        f"Page 2 / {pages}",
        f"Page {pages} / {pages}",
    ]:
        assert expected in text, expected
    # The contents give the page of the conclusion: the page where it is.
    contents = text.split("\f")[1]
    line = next(line for line in contents.splitlines() if line.strip().startswith("Conclusion"))
    assert "Une convention tenue" in text.split("\f")[int(line.split()[-1]) - 1]


def test_pdf_of_an_evaluation_not_begun(client, seeded, elected, tmp_path):
    seeded.has_demo_data = True
    seeded.save(update_fields=["has_demo_data"])
    client.force_login(elected)
    text, _pages = pdf_text(client.get(report_url("pdf")).content, tmp_path)
    assert "Données de démonstration" in text.split("\f")[0]
    assert "non évalué" in text and "Aucun élément d’appréciation rédigé." in text
    assert "Pas encore rédigé." in text


def test_docx(client, seeded, pilot, evaluation):
    client.force_login(pilot)
    response = client.get(report_url("docx"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="evaluation-{SLUG}.docx"'
    document = docx.Document(io.BytesIO(response.content))
    styles = {(p.style.name, p.text.replace(NBSP, " ")) for p in document.paragraphs}
    objective = seeded.objectives.get(number=1)
    assert ("Title", "Évaluation de la convention") in styles
    assert ("Heading 1", f"Objectif 1 — {objective.title}") in styles
    assert ("Heading 2", "Pertinence") in styles
    assert ("Heading 1", "Conclusion") in styles
    assert ("Normal", "Les besoins de garde ont été confirmés par le diagnostic.") in styles
    assert ("Normal", "Une convention tenue dans l’ensemble.") in styles
    ratings = document.tables[0]
    assert [c.text for c in ratings.rows[0].cells] == [
        "Objectif stratégique",
        "Pertinence",
        "Efficacité",
        "Efficience",
        "Pérennité",
    ]
    assert [c.text for c in ratings.rows[1].cells][1:] == ["3", "—", "—", "—"]
    [figures] = document.tables[1:]
    rows = [[cell.text for cell in row.cells] for row in figures.rows]
    assert rows[0] == ["Indicateur", "Valeur de référence", "Cible", "Dernière valeur", "Atteint"]
    assert rows[1][0] == "Fiche 1 — Places d’accueil (places)"
    assert rows[1][1:] == ["60", "80", "82 (31/05/2025)", "atteint"]
    assert 'TOC \\o "1-2"' in document.element.xml
    assert " PAGE " in document.sections[0].footer._element.xml


def test_xlsx(client, seeded, caf_staff, evaluation):
    client.force_login(caf_staff)
    response = client.get(report_url("xlsx"))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0] == (
        "N°",
        "Objectif stratégique",
        "Question",
        "Appréciation (1 à 4)",
        "Appréciation",
        "Éléments d’appréciation",
        "Indicateurs",
    )
    assert len(rows) == 1 + 4 * seeded.objectives.count()
    objective = seeded.objectives.get(number=1)
    assert rows[1][:6] == (
        1,
        objective.title,
        "Pertinence",
        3,
        "Satisfaisant",
        "Les besoins de garde ont été confirmés par le diagnostic.",
    )
    assert rows[1][6].startswith("Fiche 1 — Places d’accueil (places) · 60 · 80 · 82")
    assert rows[2][2:4] == ("Efficacité", None)


def test_evaluation_page_links_to_the_reports(client, seeded, elected):
    client.force_login(elected)
    body = client.get(reverse("evaluations:detail", args=[SLUG])).content.decode()
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
        assert client.get(report_url(extension, slug="autre")).status_code == 404
        assert client.post(report_url(extension)).status_code == 405


def test_query_counts_do_not_grow(client, seeded, coordinator, indicators, settings):  # noqa: F811
    # Both PDFs laid out in the request (tests/test_stored_printouts.py: the stored path).
    settings.PRINTOUT_INLINE_BYTES = 10**9
    client.force_login(coordinator)
    evaluate_everything(seeded)
    extensions = ("pdf", "docx", "xlsx")
    small = {}
    for extension in extensions:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(report_url(extension)).status_code == 200
        small[extension] = len(queries)
    add_sheets(seeded, 284)  # 300 sheets, each with an indicator and a value, on objective 1
    ObjectiveEvaluation.objects.all().delete()
    evaluate_everything(seeded)
    for extension in extensions:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(report_url(extension)).status_code == 200
        assert len(queries) == small[extension], [q["sql"] for q in queries.captured_queries]
    # The session, the user, the convention and role; the evaluation, its answers, their
    # indicators with their last values, the objectives.
    # The PDF also looks its printout up, then stores it: the row locked, then saved, each
    # in its savepoint (7 queries, whatever the size).
    assert small["docx"] <= 7 and small["pdf"] <= small["docx"] + 7
