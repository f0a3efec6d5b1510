"""The relevé de décisions: the PDF (its text read back with pdftotext, its pages with pdfinfo)
and the editable Word document (read back with python-docx), their names and guards."""

import datetime
import io
import subprocess
import zoneinfo

import docx
import pytest
from django.urls import reverse

from committees.models import AgendaItem, Attendance, Decision, Meeting

from .factories import PartnerFactory, UserFactory
from .test_committees import make_meeting, sheet_of

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=PARIS)
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]
NBSP = "\u00a0"


def minutes_url(meeting, extension):
    name = "committees:minutes_pdf" if extension == "pdf" else "committees:minutes_docx"
    return reverse(name, args=[meeting.convention.slug, meeting.pk])


@pytest.fixture
def meeting(seeded, coordinator, pilot, elected):
    meeting = make_meeting(seeded, state=Meeting.State.HELD, minutes="Séance ouverte à 10 h.")
    first = AgendaItem.objects.create(meeting=meeting, position=1, title="Petite enfance")
    first.sheets.set([sheet_of(seeded, 1)])
    AgendaItem.objects.create(meeting=meeting, position=2, title="Questions diverses")
    owner = UserFactory(first_name="Claire", last_name="Fabre")
    Attendance.objects.create(meeting=meeting, user=pilot, status=Attendance.Status.PRESENT)
    Attendance.objects.create(meeting=meeting, user=elected, status=Attendance.Status.EXCUSED)
    Attendance.objects.create(
        meeting=meeting, partner=PartnerFactory(name="CAF du Tarn"), status="present"
    )
    decision = Decision.objects.create(
        meeting=meeting,
        text="Ouvrir le relais petite enfance",
        owner=owner,
        due_on=datetime.date(2025, 9, 1),
    )
    decision.sheets.set([sheet_of(seeded, 1)])
    Decision.objects.create(meeting=meeting, text="Relancer les communes")
    return meeting


def pdf_text(content, tmp_path):
    path = tmp_path / "releve.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    pages = int(next(line for line in info.stdout.splitlines() if line.startswith("Pages:"))[6:])
    return text.replace(NBSP, " "), pages


def test_pdf(client, seeded, coordinator, pilot, meeting, tmp_path):
    client.force_login(coordinator)
    response = client.get(minutes_url(meeting, "pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="releve-{seeded.slug}-2025-03-14.pdf"'
    )
    text, pages = pdf_text(response.content, tmp_path)
    assert pages == 1
    for expected in [
        seeded.title[:40],
        "Relevé de décisions",
        "COPIL du 14/03/2025",
        "Mairie de Labruguière",
        "14/03/2025 à 10 h 00",
        "Présent (2)",
        "Excusé (1)",
        "CAF du Tarn",
        "Petite enfance",
        "Questions diverses",
        "Ouvrir le relais petite enfance",
        "Claire Fabre",
        "01/09/2025",
        "Relancer les communes",
        "Séance ouverte à 10 h.",
        "Page 1 / 1",
    ]:
        assert expected in text, expected


def test_pdf_of_a_long_meeting_has_numbered_pages(client, seeded, coordinator, tmp_path):
    meeting = make_meeting(seeded)
    Decision.objects.bulk_create(
        Decision(meeting=meeting, text=f"Décision numéro {number} " + "détail " * 30)
        for number in range(1, 61)
    )
    client.force_login(coordinator)
    text, pages = pdf_text(client.get(minutes_url(meeting, "pdf")).content, tmp_path)
    assert pages >= 3
    assert "Page 1 / " in text and f"Page {pages} / {pages}" in text
    assert "Décision numéro 60" in text


def test_pdf_of_an_empty_meeting(client, seeded, pilot, tmp_path):
    meeting = make_meeting(seeded, place="")
    client.force_login(pilot)
    text, pages = pdf_text(client.get(minutes_url(meeting, "pdf")).content, tmp_path)
    assert pages == 1
    assert "Aucune décision enregistrée." in text and "Personne n’a été convoqué." in text


def test_docx(client, seeded, elected, meeting):
    client.force_login(elected)
    response = client.get(minutes_url(meeting, "docx"))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response["Content-Disposition"] == (
        f'attachment; filename="releve-{seeded.slug}-2025-03-14.docx"'
    )
    document = docx.Document(io.BytesIO(response.content))
    paragraphs = [paragraph.text.replace(NBSP, " ") for paragraph in document.paragraphs]
    assert paragraphs[0] == "Relevé de décisions"
    assert seeded.title in paragraphs
    assert "COPIL du 14/03/2025 — COPIL de printemps" in paragraphs
    assert "Lieu : Mairie de Labruguière" in paragraphs
    assert any(line.startswith("Présent (2) : ") and "CAF du Tarn" in line for line in paragraphs)
    assert any(line.startswith("Petite enfance\nFiches : 1. ") for line in paragraphs)
    assert "Séance ouverte à 10 h." in paragraphs
    [table] = document.tables
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["N°", "Décision", "Fiches", "Responsable", "Échéance", "État"]
    assert rows[1][1:2] + rows[1][3:] == [
        "Ouvrir le relais petite enfance",
        "Claire Fabre",
        "01/09/2025",
        "ouverte",
    ]
    assert rows[1][2].startswith("1. ")
    assert rows[2][1:] == ["Relancer les communes", "—", "—", "—", "ouverte"]
    assert document.core_properties.title == "Relevé de décisions — COPIL du 14/03/2025"


def test_minutes_of_another_conventions_meeting_are_missing(client, coordinator, meeting):
    client.force_login(coordinator)
    for extension in ("pdf", "docx"):
        url = minutes_url(meeting, extension).replace(meeting.convention.slug, "autre-convention")
        assert client.get(url).status_code == 404
    url = reverse("committees:minutes_pdf", args=[meeting.convention.slug, 999999])
    assert client.get(url).status_code == 404
