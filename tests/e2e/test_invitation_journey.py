"""Issue 13's journey in a real browser: a coordinator invites a pilot from the members page,
the pilot opens the link of the e-mail, chooses a password, lands on the convention and edits
their sheet. axe-core 0 violations and nothing wider than the screen at 375 and 1280 px on
every page of it; the Nu HTML checker checks every page received (conftest)."""

import re

import pytest
from playwright.sync_api import expect

from actions.models import ActionSheet

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"
STRONG = "Thore-Montagne-2026!"


def test_a_coordinator_invites_a_pilot_who_edits_their_sheet(
    login, page, portal, coordinator, mailoutbox, settings, check_page
):
    settings.PORTAL_BASE_URL = portal
    login("coordination")
    page.goto(f"{portal}/conventions/{SLUG}/")
    page.get_by_role("link", name="Membres").first.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Membres")
    check_page()

    # A malformed address first: a French error, nothing sent, the page still accessible.
    form = page.locator("#invite-form")
    form.get_by_label("Adresse e-mail").fill("marie.curie")
    form.get_by_role("button", name="Envoyer l’invitation").click()
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_contain_text("Saisissez une adresse e-mail valide")
    assert mailoutbox == []
    check_page()

    form = page.locator("#invite-form")
    form.get_by_label("Adresse e-mail").fill("marie.dupont@example.org")
    form.get_by_label("Prénom").fill("Marie")
    form.get_by_label("Nom", exact=True).fill("Dupont")
    form.get_by_label("Rôle").select_option(label="pilote")
    sheet_6 = ActionSheet.objects.get(convention__slug=SLUG, number=6)
    form.get_by_label(sheet_6.title[:20]).check()
    form.get_by_role("button", name="Envoyer l’invitation").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("marie.dupont@example.org")
    expect(page.locator("main")).to_contain_text("en attente")
    check_page()

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["marie.dupont@example.org"]
    html = message.alternatives[0][0]
    assert "Fiche 6" in message.body and "Fiche 6" in html
    link = re.search(rf"{re.escape(portal)}/invitation/\S+/", message.body).group()
    assert link in html

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Accepter l’invitation")
    check_page()
    # A password Django's validators refuse: said in French, the link still works.
    page.locator("#id_new_password1").fill("123")
    page.locator("#id_new_password2").fill("123")
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()
    expect(page.locator("#error-summary")).to_be_visible()
    check_page()
    page.locator("#id_new_password1").fill(STRONG)
    page.locator("#id_new_password2").fill(STRONG)
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith(f"/conventions/{SLUG}")
    check_page()

    page.goto(f"{portal}/conventions/{SLUG}/fiches/6/modifier/")
    expect(page.locator("h1")).to_contain_text("Modifier la fiche 6")
    page.get_by_label("Avancement (%)").fill("40")
    page.get_by_role("button", name="Enregistrer").first.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_contain_text("Fiche 6")
    sheet_6.refresh_from_db()
    assert sheet_6.progress == 40

    # The link worked once: a second visit says what to do.
    page.goto(link)
    expect(page.locator("main")).to_contain_text("coordinat")
    check_page()
