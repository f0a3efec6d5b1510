"""A long PDF in a real browser: the coordinator asks for the year's bilan, which the server
prepares in a background thread (printouts.services); the waiting page passes axe and the Nu
checker at a phone's and a desktop's width, reloads itself, and the PDF downloads from it."""

import subprocess

import pytest
from playwright.sync_api import expect

from printouts.models import Printout

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"


def test_a_long_bilan_is_prepared_then_downloads_by_itself(
    page, portal, seeded, coordinator, login, check_page, settings, tmp_path
):
    settings.PRINTOUT_INLINE_BYTES = 1000  # the demo's bilan counts as a long one
    settings.BACKGROUND_TASKS = "thread"  # as in production: the live server's worker thread
    login(coordinator.username)
    page.goto(f"{portal}/conventions/{SLUG}/bilans/2024/")
    # The layout takes a second or two: the answer, at once, is the waiting page.
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("link", name="PDF pour le comité de pilotage").click()
        expect(page.locator("h1")).to_have_text("Bilan 2024 (PDF)")
        expect(page.get_by_role("status")).to_contain_text("en cours de préparation")
        check_page()
    pdf = tmp_path / "bilan.pdf"
    download_info.value.save_as(pdf)
    assert download_info.value.suggested_filename == f"bilan-{SLUG}-2024.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Bilan 2024" in text
    assert Printout.objects.get().state == "ready"
