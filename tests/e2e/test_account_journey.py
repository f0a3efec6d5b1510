"""The account page and the password reset in a real browser, at phone and desktop width:
axe-core 0 violations, the Nu HTML checker 0 errors (conftest), nothing wider than the screen."""

import re

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

STRONG = "Montagne-Noire-2025!"


def test_forgotten_password_journey(page, portal, pilot, mailoutbox, settings, check_page):
    settings.PORTAL_BASE_URL = portal
    pilot.email = "pilote@example.org"
    pilot.save()
    page.goto(f"{portal}/connexion/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Mot de passe oublié"
    check_page()
    # A malformed address: the French error, still accessible.
    page.get_by_label("Adresse e-mail").fill("pilote")
    page.get_by_role("button", name="M’envoyer un lien").click()
    page.wait_for_load_state()
    assert "Saisissez une adresse e-mail valide." in page.locator("main").inner_text()
    check_page()
    page.get_by_label("Adresse e-mail").fill("pilote@example.org")
    page.get_by_role("button", name="M’envoyer un lien").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Consultez vos e-mails"
    check_page()

    link = re.search(r"http://\S+", mailoutbox[0].body).group()
    page.goto(link)
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Choisir un nouveau mot de passe"
    check_page()
    page.locator("#id_new_password1").fill(STRONG)
    page.locator("#id_new_password2").fill(STRONG)
    page.get_by_role("button", name="Enregistrer le nouveau mot de passe").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Mot de passe modifié"
    check_page()

    # The link is used: the page says what to do.
    page.goto(link)
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Ce lien ne fonctionne pas"
    check_page()

    page.goto(f"{portal}/connexion/")
    page.get_by_label("Nom d’utilisateur").fill("pilote")
    page.get_by_label("Mot de passe").fill(STRONG)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Mes conventions"


def test_account_page(login, page, portal, pilot, check_page):
    login("pilote")
    page.set_viewport_size({"width": 375, "height": 800})
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Mon compte").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Mon compte"
    check_page()
    # A refused form, then a saved one.
    page.get_by_label("Adresse e-mail").fill("pas-une-adresse")
    page.get_by_role("button", name="Enregistrer le profil").click()
    page.wait_for_load_state()
    assert "Votre profil n’a pas été enregistré" in page.locator("main").inner_text()
    check_page()
    page.get_by_label("Adresse e-mail").fill("pilote@example.org")
    page.get_by_role("button", name="Enregistrer le profil").click()
    page.wait_for_load_state()
    assert "Votre profil est enregistré." in page.locator("main").inner_text()
    page.get_by_label("Ancien mot de passe").fill("faux")
    page.locator("#id_new_password1").fill(STRONG)
    page.locator("#id_new_password2").fill(STRONG)
    page.get_by_role("button", name="Changer le mot de passe").click()
    page.wait_for_load_state()
    assert "Votre ancien mot de passe est incorrect." in page.locator("main").inner_text()
    check_page()
    page.get_by_label("Récapitulatif hebdomadaire").uncheck()
    page.get_by_role("button", name="Enregistrer mes choix").click()
    page.wait_for_load_state()
    assert (
        "Vos choix de notifications par e-mail sont enregistrés."
        in page.locator("main").inner_text()
    )
    assert not page.get_by_label("Récapitulatif hebdomadaire").is_checked()
    check_page()
