"""The steering committee's printouts: the dashboard on two A4 pages, a sheet on one, as print
pages and as PDFs laid out by WeasyPrint."""

import datetime
import logging
import shutil
import subprocess
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step
from conventions.perms import ConventionAccess
from ctg_portal.pdf import StaticFilesFetcher, render_document
from operations.management.commands.generate_dataset import generate
from portal.printouts import dashboard_printout_context, sheet_printout_context

from .factories import (
    ActionSheetFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    ProgressNoteFactory,
    StepFactory,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS), tick=False),
]

SLUG = "thore-montagne-noire-2023-2025"
PRINTOUT = reverse("portal:dashboard_printout", args=[SLUG])
PDF = reverse("portal:dashboard_pdf", args=[SLUG])
SHEET_PRINTOUT = reverse("portal:sheet_printout", args=[SLUG, 4])
SHEET_PDF = reverse("portal:sheet_pdf", args=[SLUG, 4])
NBSP = "\u00a0"
D = datetime.date

poppler = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils (pdfinfo, pdftotext) not installed"
)


def furnish_sheet_4(convention, author):
    """Fiche 4 as a steering committee meets it: its texts, five steps, two indicators with
    their values, four notes."""
    sheet = ActionSheet.objects.get(convention=convention, number=4)
    sheet.description = (
        "Les accueils de loisirs du territoire ont des horaires, des tarifs et des projets "
        "pédagogiques différents d’une commune à l’autre.\nL’action les rapproche."
    )
    sheet.goals = "Une charte commune de qualité, des horaires et des tarifs harmonisés."
    sheet.target_publics = "Les familles des enfants de 3 à 11 ans et les équipes d’animation."
    sheet.status, sheet.progress = ActionSheet.Status.IN_PROGRESS, 40
    sheet.planned_start, sheet.planned_end = D(2024, 1, 1), D(2025, 12, 31)
    sheet.save()
    steps = [
        ("État des lieux des accueils périscolaires", D(2024, 6, 30), D(2024, 6, 20)),
        ("Réunion des directeurs d’accueils", D(2024, 10, 15), D(2024, 10, 15)),
        ("Charte commune de qualité", D(2025, 3, 31), None),
        ("Grille tarifaire harmonisée", D(2025, 9, 30), None),
        ("Bilan avec les familles", D(2025, 12, 15), None),
    ]
    Step.objects.bulk_create(
        Step(sheet=sheet, position=position, title=title, due_on=due, done_on=done)
        for position, (title, due, done) in enumerate(steps, start=1)
    )
    indicators = [
        ("Accueils signataires de la charte", "accueils", "0", "8", ["0", "3", "5"], ""),
        ("Familles satisfaites des horaires", "%", "62", "80", ["62", "68", "71"], "Enquête"),
    ]
    for label, unit, baseline, target, values, comment in indicators:
        indicator = Indicator.objects.create(
            sheet=sheet, label=label, unit=unit, baseline=Decimal(baseline), target=Decimal(target)
        )
        IndicatorValue.objects.bulk_create(
            IndicatorValue(
                indicator=indicator, measured_on=day, value=Decimal(value), comment=comment
            )
            for day, value in zip(
                [D(2023, 12, 31), D(2024, 12, 31), D(2025, 5, 31)], values, strict=True
            )
        )
    for written_on, text in [
        (D(2024, 6, 25), "L’état des lieux est rendu : 8 accueils, 5 grilles tarifaires."),
        (D(2024, 10, 16), "Les directeurs s’accordent sur un socle commun d’horaires."),
        (D(2025, 2, 3), "Projet de charte envoyé aux communes pour avis."),
        (D(2025, 5, 20), "Trois communes ont signé la charte, deux la soumettent au conseil."),
    ]:
        ProgressNote.objects.create(sheet=sheet, written_on=written_on, text=text, author=author)
    return sheet


def pdf_text(content, tmp_path):
    path = tmp_path / "printout.pdf"
    path.write_bytes(content)
    pages = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    count = int(next(line for line in pages.splitlines() if line.startswith("Pages:")).split()[1])
    text = subprocess.run(
        ["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True
    ).stdout
    return count, text


def document(user, template, context):
    request = RequestFactory().get("/")
    request.user = user
    return render_document(request, template, context)


@poppler
def test_dashboard_pdf_is_two_pages_with_the_key_figures(client, elected, seeded, tmp_path):
    client.force_login(elected)
    response = client.get(PDF)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="copil-{SLUG}-2025-06-02.pdf"'
    )
    pages, text = pdf_text(response.content, tmp_path)
    assert pages == 2
    first, second = text.replace(NBSP, " ").split("\f")[:2]
    assert "241 801 €" in first and "725 403 €" in first
    assert "Avancement par objectif stratégique" in first
    assert "Fiches actions : statut, avancement et prochaine étape" in second
    assert "Harmoniser l’offre périscolaire" in second


@poppler
def test_sheet_pdf_is_one_page_with_its_steps_and_indicators(client, coordinator, seeded, tmp_path):
    furnish_sheet_4(seeded, coordinator)
    client.force_login(coordinator)
    response = client.get(SHEET_PDF)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="copil-{SLUG}-fiche-4-2025-06-02.pdf"'
    )
    pages, text = pdf_text(response.content, tmp_path)
    assert pages == 1
    for expected in [
        "Fiche 4",
        "Grille tarifaire harmonisée",
        "Accueils signataires de la charte",
        "Familles satisfaites des horaires",
        "Trois communes ont signé la charte",
    ]:
        assert expected in text, expected
    assert "L’état des lieux est rendu" not in text  # the three latest notes only


def test_page_counts_with_weasyprint(seeded, coordinator, caplog):
    """The same layouts, counted on WeasyPrint's documents: no stylesheet or image refused."""
    furnish_sheet_4(seeded, coordinator)
    access = ConventionAccess(coordinator, seeded, "coordinator")
    sheet = ActionSheet.objects.with_lateness(D(2025, 6, 2)).get(convention=seeded, number=4)
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        dashboard = document(
            coordinator, "portal/printout_dashboard.html", dashboard_printout_context(access)
        )
        sheet_document = document(
            coordinator, "portal/printout_sheet.html", sheet_printout_context(access, sheet)
        )
    assert len(dashboard.pages) == 2
    assert len(sheet_document.pages) == 1
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")]


def test_print_pages(client, elected, seeded, coordinator):
    furnish_sheet_4(seeded, coordinator)
    client.force_login(elected)
    html = client.get(PRINTOUT).content.decode()
    assert 'id="figure-caf-year">241&nbsp;801&nbsp;€' in html.replace(NBSP, "&nbsp;")
    assert 'id="objective-table"' in html and 'id="sheets-table"' in html
    assert "data-print hidden" in html and "/static/js/print.js" in html
    assert f'href="{PDF}"' in html
    # The second page: every sheet with its status, progress and next step.
    assert 'Charte commune de qualité <span class="text-nowrap">(31/03/2025)</span>' in html
    html = client.get(SHEET_PRINTOUT).content.decode()
    assert "Grille tarifaire harmonisée" in html and f'href="{SHEET_PDF}"' in html
    assert "<form" not in html.split('id="main"')[1]  # nothing to fill in a printout


def test_links_to_the_printouts(client, elected, seeded):
    client.force_login(elected)
    html = client.get(reverse("portal:dashboard", args=[SLUG])).content.decode()
    assert f'href="{PRINTOUT}"' in html and f'href="{PDF}"' in html
    html = client.get(reverse("actions:detail", args=[SLUG, 4])).content.decode()
    assert f'href="{SHEET_PRINTOUT}"' in html
    seeded.is_public = True
    seeded.save()
    html = client.get(reverse("portal:public", args=[SLUG])).content.decode()
    assert PRINTOUT not in html  # the printouts are for members


def test_charts_are_drawn_without_the_stylesheet(client, elected, seeded):
    """WeasyPrint reads no page CSS inside SVG: the printout's bars carry their look."""
    client.force_login(elected)
    html = client.get(PRINTOUT).content.decode()
    assert 'class="bar-back" fill="#fff" stroke="#000"' in html
    assert 'class="bar" fill="#495057"' in html


def test_static_files_are_read_from_disk_never_fetched():
    fetcher = StaticFilesFetcher()
    response = fetcher.fetch("http://testserver/static/css/portal.css")
    assert b"@media print" in response.read()
    assert response.content_type == "text/css"
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    for url in [
        "http://example.org/elsewhere/portal.css",
        "http://testserver/admin/",
        "http://testserver/static/../ctg_portal/settings.py",
        "http://testserver/static/%2e%2e/manage.py",
        "file:///etc/passwd",
        "ftp://testserver/static/css/portal.css",
    ]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_no_network_while_rendering(client, elected, seeded, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("a printout tried the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    client.force_login(elected)
    assert client.get(PDF).status_code == 200


def large_data(seeded, coordinator):
    generate(20, seed=7, prefix="p")
    objective = seeded.objectives.first()
    for number in range(100, 140):
        sheet = ActionSheetFactory(convention=seeded, objective=objective, number=number)
        sheet.domains.add(seeded.domains.first())
        StepFactory(sheet=sheet, due_on=D(2025, 6, 10))
        StepFactory(sheet=sheet, due_on=D(2025, 9, 1))
        ProgressNoteFactory(sheet=sheet)
    sheet = ActionSheet.objects.get(convention=seeded, number=4)
    for index in range(30):
        StepFactory(sheet=sheet, due_on=D(2025, 1, 1) + datetime.timedelta(days=index))
        ProgressNoteFactory(sheet=sheet, author=coordinator)
    for _ in range(5):
        indicator = IndicatorFactory(sheet=sheet)
        for day in range(10):
            IndicatorValueFactory(indicator=indicator, measured_on=D(2024, 1, 1 + day))


def test_query_counts_do_not_grow(client, seeded, elected, coordinator):
    furnish_sheet_4(seeded, coordinator)
    client.force_login(elected)
    urls = [PRINTOUT, PDF, SHEET_PRINTOUT, SHEET_PDF]
    small = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        small[url] = len(queries)

    large_data(seeded, coordinator)
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        # The dashboard's 12 at most, or the sheet page's without its history.
        assert len(queries) == small[url] <= 12, (url, [q["sql"][:100] for q in queries])
    response = client.get(PRINTOUT)
    assert response.context["dashboard"].sheet_count == 56
