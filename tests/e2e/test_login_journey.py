import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_page_is_accessible(page, portal, assert_accessible):
    page.goto(f"{portal}/connexion/")
    assert page.locator("h1").inner_text() == "Se connecter"
    assert_accessible()


def test_coordinator_logs_in_and_sees_the_convention(login, page, coordinator, assert_accessible):
    login("coordination")
    assert page.locator("h1").inner_text() == "Mes conventions"
    assert "Thoré Montagne Noire" in page.locator("main").inner_text()
    assert_accessible()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Se connecter"
