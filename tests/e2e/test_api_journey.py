"""The API in a real browser: a pilot creates a token on /compte/, sees it once, reads the API
with it against the live server, revokes it, and is refused; the documentation page is
accessible (axe-core, the Nu checker) at phone and desktop width, long paths wrapped."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"


def test_token_journey(login, page, portal, pilot, check_page):
    login("pilote")
    page.goto(f"{portal}/compte/#api")
    page.wait_for_load_state()
    check_page()
    page.get_by_label("Nom du jeton").fill("Tableur de la CAF")
    page.get_by_role("button", name="Créer un jeton").click()
    page.wait_for_load_state()
    token = page.locator("#api-new-token").input_value()
    assert token.startswith("ctg_")
    assert "il ne sera plus affiché" in page.locator("#api").inner_text()
    check_page()

    api = f"{portal}/api/v1/conventions/{SLUG}/sheets/?late=false"
    headers = {"Authorization": f"Bearer {token}"}
    response = page.request.get(api, headers=headers)
    assert response.status == 200
    assert response.json()["count"] > 0

    page.reload()
    page.wait_for_load_state()
    assert page.locator("#api-new-token").count() == 0  # shown once
    page.locator("#api summary").first.click()
    page.get_by_role("button", name="Confirmer la révocation de « Tableur de la CAF »").click()
    page.wait_for_load_state()
    assert "révoqué" in page.locator("#api").inner_text()
    check_page()
    refused = page.request.get(api, headers=headers)
    assert refused.status == 401
    assert refused.headers["www-authenticate"] == "Bearer"


def test_docs_page(page, portal, seeded, check_page):
    page.goto(f"{portal}/api/v1/docs/")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Documentation de l’API"
    assert "/api/v1/conventions/{slug}/sheets/{number}/" in page.locator("main").inner_text()
    check_page()
