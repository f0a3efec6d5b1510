"""The coordinators' workspace in a real browser (issue 3's journeys)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"


def test_coordinator_updates_fiche_4(login, page, portal, coordinator, assert_accessible):
    login("coordination")
    page.goto(f"{portal}/conventions/{SLUG}/fiches/")
    assert_accessible()
    page.get_by_label("Domaine").select_option(label="Enfance")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    assert "domaine=" in page.url  # the filter lives in the query string
    rows = page.locator("table.sheet-table tbody tr")
    expect(rows).to_have_count(4)
    page.get_by_role("link", name=re.compile("^Harmoniser l’offre périscolaire")).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Fiche 4")
    assert_accessible()

    page.get_by_label("Texte").fill("Première réunion des directeurs d’accueil.")
    page.get_by_label("Nouveau statut").select_option(label="en cours")
    page.get_by_label("Nouvel avancement (%)").fill("30")
    page.get_by_role("button", name="Ajouter la note").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Note ajoutée.")).to_be_visible()
    history = page.locator("section[aria-labelledby=history-title]")
    expect(history).to_contain_text("Statut\u00a0: à lancer → en cours")
    expect(history).to_contain_text("Avancement (%)\u00a0: 0\u00a0% → 30\u00a0%")
    expect(page.locator("main")).to_contain_text("Première réunion des directeurs")

    page.get_by_role("link", name="Fiches actions").first.click()
    page.wait_for_load_state()
    row = page.locator("#fiche-4")
    expect(row).to_contain_text("en cours")
    expect(row).to_contain_text("30\u00a0%")

    page.goto(f"{portal}/conventions/{SLUG}/fiches/4/modifier/")
    expect(page.locator("h1")).to_contain_text("Modifier la fiche 4")
    assert_accessible()


def test_elected_official_reads_only(login, page, portal, elected):
    login("elu")
    page.goto(f"{portal}/conventions/{SLUG}/fiches/4/")
    expect(page.locator("h1")).to_contain_text("Fiche 4")
    expect(page.get_by_role("link", name="Modifier")).to_have_count(0)
    expect(page.get_by_role("button", name="Ajouter la note")).to_have_count(0)
    response = page.goto(f"{portal}/conventions/{SLUG}/fiches/4/modifier/")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("Accès refusé")
