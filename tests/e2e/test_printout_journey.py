"""The dashboard read at a glance, and the steering committee's printouts in a real browser:
the dashboard on two A4 pages, a sheet on one, each printed by Chromium."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from actions.models import ActionSheet

from ..test_printouts import furnish_sheet_4

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"


def printed_pages(page):
    """Chromium's print of the current page on A4: the number of pages."""
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4")
    page.emulate_media(media="screen")
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


def above_the_fold(page, selector):
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["y"] + box["height"] <= page.viewport_size["height"]


def test_dashboard_at_a_glance_and_its_printout(
    login, page, portal, elected, seeded, assert_accessible
):
    # Something for the committee to look at: two sheets late, one blocked.
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    ActionSheet.objects.filter(convention=seeded, number__in=[1, 2]).update(planned_end=yesterday)
    ActionSheet.objects.filter(convention=seeded, number=9).update(status="blocked")

    page.set_viewport_size({"width": 1280, "height": 800})
    login("elu")
    page.goto(f"{portal}/conventions/{SLUG}/")
    expect(page.locator("h1")).to_have_text("Tableau de bord")
    # The first screen: key figures, progress by objective, what is late or blocked.
    for selector in [
        "#figure-caf-total",
        "#figure-late",
        "#chart-objectives",
        "#attention-title",
        ".attention-list li:nth-child(3)",
    ]:
        assert above_the_fold(page, selector), selector
    expect(page.locator(".attention-list li").first).to_contain_text("9. ")
    # The tables that repeat a chart are folded; the sheets' table comes after.
    expect(page.locator("#objective-table")).to_be_hidden()
    page.get_by_text("Les chiffres en tableau").first.click()
    expect(page.locator("#objective-table")).to_be_visible()
    assert not above_the_fold(page, "#sheets-table")
    assert printed_pages(page) == 2

    page.get_by_role("link", name="Version imprimable").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Comité de pilotage")
    assert_accessible()
    assert printed_pages(page) == 2
    # "Imprimer" appears with JavaScript and opens the browser's print.
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Imprimer").click()
    assert page.evaluate("window.printed") is True
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le PDF").click()
    name = download.value.suggested_filename
    assert re.fullmatch(rf"copil-{SLUG}-\d{{4}}-\d\d-\d\d\.pdf", name), name


def test_sheet_printout_on_one_page(
    login, page, portal, seeded, pilot, coordinator, assert_accessible
):
    login("pilote")
    page.goto(f"{portal}/conventions/{SLUG}/fiches/4/")
    # Printed from the browser, the sheet's page leaves out its forms, buttons and history.
    assert printed_pages(page) == 1
    furnish_sheet_4(seeded, coordinator)
    page.reload()
    page.get_by_role("link", name="Version imprimable").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Fiche 4")
    expect(page.get_by_text("Grille tarifaire harmonisée")).to_be_visible()
    expect(page.get_by_role("heading", name="Familles satisfaites des horaires")).to_be_visible()
    assert_accessible()
    assert printed_pages(page) == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le PDF").click()
    assert download.value.suggested_filename.startswith(f"copil-{SLUG}-fiche-4-")
