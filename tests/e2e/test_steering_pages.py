"""The committees' and documents' pages with content, in a real browser: a meeting with its
agenda, attendance and decisions (one overdue), its edit form, a decision's form, the
documents list with a file and a link, and a deletion's confirmation. axe-core 0 violations
and nothing wider than the screen at 375 and 1280 px; the Nu HTML checker on every page."""

import datetime
import zoneinfo

import pytest
from playwright.sync_api import expect

from actions.models import ActionSheet
from committees.models import AgendaItem, Attendance, Decision, Meeting
from documents.models import Document

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def copil(seeded, coordinator, pilot):
    meeting = Meeting.objects.create(
        convention=seeded,
        kind=Meeting.Kind.COPIL,
        title="COPIL de printemps, bilan de la première année et suite du programme",
        starts_at=datetime.datetime(2025, 3, 14, 10, 0, tzinfo=PARIS),
        place="Mairie de Labruguière, salle du conseil municipal",
        minutes="Le comité valide le lancement des fiches 5 et 6.",
    )
    Attendance.objects.create(meeting=meeting, user=coordinator, status="present")
    Attendance.objects.create(meeting=meeting, user=pilot, status="excused")
    Attendance.objects.create(meeting=meeting, partner=seeded.caf, status="present")
    item = AgendaItem.objects.create(meeting=meeting, position=1, title="Fiches en retard")
    item.sheets.set(ActionSheet.objects.filter(convention=seeded, number__in=[4, 5, 6]))
    item.objectives.set(seeded.objectives.filter(number=1))
    late = Decision.objects.create(
        meeting=meeting,
        text="Relancer les partenaires de la fiche 5 avant l’été.",
        owner=coordinator,
        due_on=datetime.date(2025, 6, 30),
    )
    late.sheets.set(ActionSheet.objects.filter(convention=seeded, number=5))
    Decision.objects.create(meeting=meeting, text="Présenter le bilan en septembre.")
    Document.objects.create(
        convention=seeded,
        kind="minutes",
        title="Relevé de décisions du COPIL de printemps",
        date=datetime.date(2025, 3, 20),
        url="https://example.org/copil-2025-03.pdf",
        meeting=meeting,
        uploaded_by=coordinator,
    )
    return meeting


def test_a_meeting_and_its_documents_read_well(login, page, portal, copil, check_page):
    login("coordination")
    page.goto(f"{portal}/conventions/{SLUG}/instances/")
    expect(page.locator("main")).to_contain_text("COPIL de printemps")
    check_page()
    page.goto(f"{portal}/conventions/{SLUG}/instances/{copil.pk}/")
    expect(page.locator("main")).to_contain_text("Relancer les partenaires")
    check_page()
    page.goto(f"{portal}/conventions/{SLUG}/instances/{copil.pk}/modifier/")
    check_page()
    decision = Decision.objects.get(due_on__isnull=False)
    page.goto(f"{portal}/conventions/{SLUG}/instances/{copil.pk}/decisions/{decision.pk}/modifier/")
    check_page()
    page.goto(f"{portal}/conventions/{SLUG}/documents/")
    expect(page.locator("main")).to_contain_text("Relevé de décisions du COPIL")
    check_page()
    document = Document.objects.get()
    page.goto(f"{portal}/conventions/{SLUG}/documents/{document.pk}/supprimer/")
    check_page()


def test_a_pilot_reads_the_meeting(login, page, portal, copil, check_page):
    login("pilote")
    page.goto(f"{portal}/conventions/{SLUG}/instances/{copil.pk}/")
    expect(page.locator("main")).to_contain_text("Fiches en retard")
    check_page()
