"""Issue 14's journey in a real browser, from an empty steering record to the printed relevé:
a coordinator prepares a COPIL (agenda naming sheets, attendance), attaches its convocation,
runs it in session mode with the keyboard, records a decision that changes a sheet's status,
finds it on the sheet's page (with the history's reason), the dashboard and the meeting page,
and downloads the relevé de décisions as a PDF whose text is read back. axe-core 0 violations
and nothing wider than the screen at 375 and 1280 px; the Nu HTML checker on every page."""

import datetime
import subprocess

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from actions.models import ActionSheet
from committees.models import Decision, Meeting
from documents.models import Document

from ..test_documents_files import pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"


def test_a_coordinator_prepares_runs_and_prints_a_copil(
    login, page, portal, seeded, coordinator, pilot, check_page, tmp_path
):
    sheet = ActionSheet.objects.get(convention=seeded, number=5)
    assert sheet.status != ActionSheet.Status.BLOCKED
    day = timezone.localdate() + datetime.timedelta(days=10)
    login("coordination")

    # Prepare: the meetings list, then a new COPIL with its agenda and attendance.
    page.goto(f"{portal}/conventions/{SLUG}/instances/")
    page.get_by_role("link", name="Nouvelle instance").click()
    expect(page).to_have_url(f"{portal}/conventions/{SLUG}/instances/nouvelle/")
    check_page()
    page.locator("#id_kind").select_option(value="copil")
    page.locator("#id_title").fill("COPIL de printemps")
    page.locator("#id_starts_at").fill(f"{day.isoformat()}T14:30")
    page.locator("#id_place").fill("Mairie de Labruguière")
    page.locator("#id_agenda-0-title").fill("Fiches en difficulté")
    page.locator("#id_agenda-0-sheets").select_option(value=[str(sheet.pk)])
    page.locator("#id_agenda-1-title").fill("Questions diverses")
    page.locator("#id_attendance-0-user").select_option(value=str(pilot.pk))
    page.locator("#id_attendance-1-partner").select_option(value=str(seeded.caf.pk))
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    meeting = Meeting.objects.get(title="COPIL de printemps")
    meeting_url = f"{portal}/conventions/{SLUG}/instances/{meeting.pk}/"
    expect(page).to_have_url(meeting_url)
    expect(page.locator("main")).to_contain_text("Fiches en difficulté")
    expect(page.locator("main")).to_contain_text(sheet.title)

    # Its convocation, attached from the meeting page.
    path = tmp_path / "convocation.pdf"
    path.write_bytes(pdf_bytes())
    page.locator("summary", has_text="Ajouter un document").click()
    page.locator("#id_document_kind").select_option(value="other")
    page.locator("#id_document_title").fill("Convocation du COPIL")
    page.locator("#id_document_date").fill(timezone.localdate().isoformat())
    page.locator("#id_document_file").set_input_files(str(path))
    page.get_by_role("button", name="Ajouter le document").click()
    expect(page).to_have_url(meeting_url)
    expect(page.locator("main")).to_contain_text("Convocation du COPIL")
    assert Document.objects.get().meeting == meeting
    check_page()

    # Its sheet's page names it, and so does the dashboard: the next meeting.
    page.goto(f"{portal}/conventions/{SLUG}/fiches/5/")
    expect(page.locator("#steering")).to_contain_text("COPIL de printemps")
    page.goto(f"{portal}/conventions/{SLUG}/")
    expect(page.locator("main")).to_contain_text("COPIL de printemps")
    check_page()

    # Run it: session mode, → to the item naming the sheet.
    page.goto(meeting_url)
    page.get_by_role("link", name="Mode séance").click()
    expect(page).to_have_url(f"{meeting_url}seance/")
    expect(page.locator("h2#session-item-title")).to_have_text("1. Fiches en difficulté")
    check_page()
    page.wait_for_load_state()  # session.js listens once the page has loaded
    page.keyboard.press("ArrowRight")
    expect(page.locator("h2#session-item-title")).to_have_text("2. Questions diverses")
    page.wait_for_load_state()  # session.js listens once the page has loaded
    page.keyboard.press("ArrowLeft")
    expect(page.locator("h2#session-item-title")).to_have_text("1. Fiches en difficulté")

    # A decision that blocks the sheet, owned by the pilot, due in a month.
    page.locator("#id_text").fill("Suspendre la fiche 5 jusqu’au vote du budget.")
    page.locator("#id_sheets").select_option(value=[str(sheet.pk)])
    page.locator("#id_owner").select_option(value=str(pilot.pk))
    page.locator("#id_new_status").select_option(value="blocked")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.locator(".messages")).to_contain_text("Décision enregistrée.")
    sheet.refresh_from_db()
    assert sheet.status == ActionSheet.Status.BLOCKED
    decision = Decision.objects.get()
    assert decision.meeting == meeting and decision.owner == pilot

    # The sheet's page: its new status, the decision, the history's reason.
    page.goto(f"{portal}/conventions/{SLUG}/fiches/5/")
    expect(page.locator("#steering")).to_contain_text("Suspendre la fiche 5")
    expect(page.locator("main")).to_contain_text(f"décision du COPIL du {day:%d/%m/%Y}")
    check_page()

    # The relevé de décisions, downloaded from the meeting page and read back.
    page.goto(meeting_url)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"releve-{SLUG}-{day.isoformat()}.pdf"
    pdf = tmp_path / "releve.pdf"
    download.save_as(pdf)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    for expected in [
        "Relevé de décisions",
        f"COPIL du {day:%d/%m/%Y}",
        "Mairie de Labruguière",
        "Fiches en difficulté",
        "Suspendre la fiche 5 jusqu’au vote du budget.",
        "Page 1",
    ]:
        assert expected in text, expected
