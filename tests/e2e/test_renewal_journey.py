"""The renewal of a convention in a real browser: a coordinator renews the demonstration
convention into 2026–2030, unticks two running sheets, reads the preview, confirms and lands on
the new convention's dashboard. axe-core 0 violations and nothing wider than the screen at 375
and 1280 px on each step; the Nu HTML checker on every page."""

import pytest
from playwright.sync_api import expect

from actions.models import ActionSheet
from conventions.models import Convention
from funding.models import FundingAmount
from operations.demo import add_demo_progress

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"
NEW_SLUG = "thore-montagne-noire-2026-2030"


def test_a_coordinator_renews_the_demo_convention(
    login, page, portal, seeded, coordinator, pilot, check_page
):
    add_demo_progress(seeded, coordinator)
    running = list(
        ActionSheet.objects.filter(convention=seeded).active().unfinished().order_by("number")
    )
    unticked = running[:2]
    login("coordination")

    # Step 1: the new convention, 2026–2030, from the dashboard (in the last year).
    page.goto(f"{portal}/conventions/{SLUG}/")
    page.locator("#renew-link").click()
    expect(page).to_have_url(f"{portal}/conventions/{SLUG}/renouveler/")
    expect(page.locator("h1")).to_have_text("Renouveler la convention")
    expect(page.locator("#wizard-step")).to_contain_text("Étape 1 sur 3")
    expect(page.locator("#id_start_year")).to_have_value("2026")
    check_page()
    page.locator("#id_end_year").fill("2030")
    page.locator("#id_slug").fill(NEW_SLUG)
    page.get_by_role("button", name="Continuer").click()

    # Step 2: what carries over; two running sheets unticked.
    expect(page.locator("#wizard-step")).to_contain_text("Étape 2 sur 3")
    check_page()
    for sheet in unticked:
        box = page.locator(f"#sheet-{sheet.pk}")
        expect(box).to_be_checked()
        box.uncheck()
    page.get_by_role("button", name="Voir l’aperçu").click()

    # Step 3: the preview, then the confirmation.
    expect(page.locator("#wizard-step")).to_contain_text("Étape 3 sur 3")
    expect(page.locator('[data-count="sheets"]')).to_have_text(str(len(running) - 2))
    expect(page.locator('[data-count="amounts"]')).to_have_text(str(9 * 5))
    check_page()
    page.get_by_role("button", name="Confirmer le renouvellement").click()

    expect(page).to_have_url(f"{portal}/conventions/{NEW_SLUG}/")
    expect(page.locator("main")).to_contain_text("Convention renouvelée")
    check_page()
    new = Convention.objects.get(predecessor=seeded)
    assert (new.slug, new.start_year, new.end_year) == (NEW_SLUG, 2026, 2030)
    assert new.action_sheets.count() == len(running) - 2
    assert not new.action_sheets.filter(predecessor__in=unticked).exists()
    assert FundingAmount.objects.filter(line__convention=new).count() == 9 * 5
    assert sorted(
        set(FundingAmount.objects.filter(line__convention=new).values_list("year", flat=True))
    ) == [2026, 2027, 2028, 2029, 2030]
