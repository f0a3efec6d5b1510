"""The overview grouped by CAF in a real browser: a CAF manager and a superuser filter it by CAF
and by département, at phone and desktop width: axe-core 0 violations, the Nu HTML checker 0
errors (conftest), nothing wider than the screen."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from .. import factories

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def aude(seeded):
    caf = factories.CafFactory(name="CAF de l’Aude")
    convention = factories.ConventionFactory(
        slug="ctg-carcassonne",
        title="CTG de Carcassonne Agglo, une convention au titre assez long",
        caf=caf,
        department="11",
    )
    line = factories.FundingLineFactory(convention=convention)
    factories.FundingAmountFactory(line=line, year=2024, planned=Decimal("123456.78"))
    factories.ConventionFactory(slug="ctg-sans-caf", title="CTG sans CAF")
    return caf


def test_overview_grouped_and_filtered(
    page, portal, login, seeded, aude, superuser, caf_manager, check_page
):
    login("admin")
    page.goto(f"{portal}/conventions/")
    groups = page.locator("tr.overview-group th")
    expect(groups).to_have_count(3)
    expect(groups.nth(0)).to_contain_text("CAF de l’Aude")
    expect(groups.nth(1)).to_contain_text("CAF du Tarn")
    expect(groups.nth(2)).to_contain_text("Sans CAF")
    check_page()

    page.get_by_label("CAF", exact=True).select_option(label="CAF de l’Aude")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    expect(page.locator("tr.overview-group th")).to_have_count(1)
    expect(page.locator("tbody th[scope=row]")).to_have_count(1)
    check_page()

    # A forged value: the page says so, in French, and shows every convention.
    page.goto(f"{portal}/conventions/?departement=99&caf=abc")
    expect(page.locator(".invalid-feedback").first).to_contain_text("Sélectionnez un choix valide")
    expect(page.locator("tr.overview-group th")).to_have_count(3)
    check_page()

    page.context.clear_cookies()
    login("responsable-caf")
    page.goto(f"{portal}/conventions/")
    expect(page.locator("tr.overview-group th")).to_have_count(1)
    expect(page.locator("tr.overview-group th")).to_contain_text("CAF du Tarn")
    page.get_by_label("Département").select_option("81")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    expect(page.locator("tbody th[scope=row] a")).to_have_text(seeded.title)
    check_page()
