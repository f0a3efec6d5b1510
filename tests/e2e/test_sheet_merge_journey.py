"""Two coordinators edit fiche 5 at once in two browsers: the second save merges, and the
value both changed is chosen on the merge screen (issue 11, item 1)."""

import pytest
from playwright.sync_api import expect

from actions.models import ActionSheet
from conventions.models import Membership

from ..factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"


def test_two_coordinators_edit_one_sheet(
    login, page, browser, portal, seeded, coordinator, assert_accessible
):
    alice = UserFactory(username="alice", first_name="Alice", last_name="Durand")
    MembershipFactory(user=alice, convention=seeded, role=Membership.Role.COORDINATOR)
    edit = f"{portal}/conventions/{SLUG}/fiches/5/modifier/"

    # B (the coordinator) opens the form; A (Alice) opens it too, in another browser.
    login("coordination")
    page.goto(edit)
    other = browser.new_context()
    page_a = other.new_page()
    page_a.goto(f"{portal}/connexion/")
    page_a.get_by_label("Nom d’utilisateur").fill("alice")
    page_a.get_by_label("Mot de passe").fill("password")
    page_a.get_by_role("button", name="Se connecter").click()
    page_a.wait_for_load_state()
    page_a.goto(edit)

    # A saves first: progress and description.
    page_a.get_by_label("Avancement (%)").fill("55")
    page_a.get_by_label("Description", exact=True).fill("Le texte réécrit par Alice.")
    page_a.get_by_role("button", name="Enregistrer").click()
    page_a.wait_for_load_state()
    expect(page_a.get_by_text("Fiche 5 enregistrée.")).to_be_visible()
    other.close()

    # B saves goals, priority and the description: the merge screen asks about the last one.
    page.get_by_label("Objectifs opérationnels").fill("Les objectifs de B.")
    page.get_by_label("Priorité").select_option(label="haute")
    page.get_by_label("Description", exact=True).fill("La description de B.")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    merge = page.locator("#conflict")
    expect(merge).to_contain_text("Cette fiche a été modifiée par quelqu’un d’autre")
    expect(merge).to_contain_text("Le texte réécrit par Alice.")
    expect(merge).to_contain_text("La description de B.")
    expect(merge).to_contain_text("Alice Durand")
    expect(page.get_by_label("Avancement (%)")).to_have_value("55")  # A's, kept
    assert_accessible()
    page.set_viewport_size({"width": 375, "height": 800})
    assert_accessible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 800})

    merge.get_by_label("Garder la valeur enregistrée par Alice Durand", exact=False).check()
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Fiche 5 enregistrée.")).to_be_visible()

    sheet = ActionSheet.objects.get(convention=seeded, number=5)
    assert (sheet.progress, sheet.description) == (55, "Le texte réécrit par Alice.")
    assert (sheet.goals, sheet.priority) == ("Les objectifs de B.", "high")
