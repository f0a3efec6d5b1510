"""The session mode in a real browser: the coordinator projects a COPIL, moves through its
agenda with ← and →, records a decision that changes a sheet's status, marks an attendee
present and downloads the relevé de décisions, whose text is read back. axe-core 0 violations
and nothing wider than the screen at 375 and 1280 px; the Nu HTML checker on every page."""

import datetime
import subprocess
import zoneinfo

import pytest
from playwright.sync_api import expect

from actions.models import ActionSheet
from committees.models import AgendaItem, Attendance, Decision, Meeting

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def copil(seeded, coordinator, pilot):
    meeting = Meeting.objects.create(
        convention=seeded,
        kind=Meeting.Kind.COPIL,
        title="COPIL de printemps",
        starts_at=datetime.datetime(2025, 3, 14, 10, 0, tzinfo=PARIS),
        place="Mairie de Labruguière, salle du conseil municipal",
    )
    Attendance.objects.create(meeting=meeting, user=coordinator, status="present")
    Attendance.objects.create(meeting=meeting, user=pilot)
    for position, (title, numbers) in enumerate(
        [("Ouverture de la séance", []), ("Fiches en retard", [4, 5]), ("Jeunesse", [6])],
        start=1,
    ):
        item = AgendaItem.objects.create(meeting=meeting, position=position, title=title)
        item.sheets.set(ActionSheet.objects.filter(convention=seeded, number__in=numbers))
    return meeting


def test_a_coordinator_runs_a_copil_in_session_mode(
    login, page, portal, seeded, copil, check_page, tmp_path
):
    sheet = ActionSheet.objects.get(convention=seeded, number=5)
    assert sheet.status != ActionSheet.Status.BLOCKED
    base = f"{portal}/conventions/{SLUG}/instances/{copil.pk}/seance/"
    login("coordination")
    page.goto(base)
    expect(page.locator("h2#session-item-title")).to_have_text("1. Ouverture de la séance")
    check_page()

    # ← and → move through the agenda; at either end nothing happens.
    page.wait_for_load_state()  # session.js listens once the page has loaded
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(f"{base}2/")
    expect(page.locator("h2#session-item-title")).to_have_text("2. Fiches en retard")
    expect(page.locator("main")).to_contain_text(sheet.title)
    check_page()
    page.wait_for_load_state()  # session.js listens once the page has loaded
    page.keyboard.press("ArrowRight")
    expect(page.locator("h2#session-item-title")).to_have_text("3. Jeunesse")
    page.wait_for_load_state()  # session.js listens once the page has loaded
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(f"{base}2/")
    expect(page.locator("h2#session-item-title")).to_have_text("2. Fiches en retard")

    # Typing in a field leaves the page where it is.
    page.locator("#id_text").fill("Bloquer la fiche 5 en attendant le budget.")
    page.locator("#id_text").press("ArrowLeft")
    expect(page).to_have_url(f"{base}2/")

    # A decision that changes the sheet's status, recorded from the session.
    page.locator("#id_sheets").select_option(value=str(sheet.pk))
    page.locator("#id_new_status").select_option(value="blocked")
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.locator(".messages")).to_contain_text("Décision enregistrée.")
    expect(page).to_have_url(f"{base}2/#session-decisions")
    expect(page.locator("#session-decisions")).to_contain_text("Bloquer la fiche 5")
    sheet.refresh_from_db()
    assert sheet.status == ActionSheet.Status.BLOCKED
    assert Decision.objects.get().meeting == copil

    # The pilot marked present.
    attendance = Attendance.objects.get(meeting=copil, user__username="pilote")
    page.locator(f"#attendance-{attendance.pk}").select_option(value="present")
    page.locator(f"#attendance-{attendance.pk}").locator("xpath=../..").get_by_role(
        "button"
    ).click()
    expect(page.locator(".messages")).to_contain_text("présent")
    attendance.refresh_from_db()
    assert attendance.status == "present"
    check_page()

    # The relevé de décisions, downloaded and read back.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"releve-{SLUG}-2025-03-14.pdf"
    path = tmp_path / "releve.pdf"
    download.save_as(path)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    for expected in [
        "Relevé de décisions",
        "COPIL du 14/03/2025",
        "Bloquer la fiche 5 en attendant le budget.",
        "Page 1",
    ]:
        assert expected in text, expected


def test_a_pilot_follows_the_session(login, page, portal, copil, check_page):
    login("pilote")
    page.goto(f"{portal}/conventions/{SLUG}/instances/{copil.pk}/seance/2/")
    expect(page.locator("h2#session-item-title")).to_have_text("2. Fiches en retard")
    expect(page.locator("#decision-form")).to_have_count(0)
    check_page()
    page.wait_for_load_state()  # session.js listens once the page has loaded
    page.keyboard.press("ArrowRight")
    expect(page.locator("h2#session-item-title")).to_have_text("3. Jeunesse")
