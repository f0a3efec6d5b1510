"""The first pages: login, logout, the home page listing a user's conventions."""

import pytest
from django.urls import reverse
from django.utils import timezone

from .factories import ActionSheetFactory

pytestmark = pytest.mark.django_db


def test_anonymous_home_redirects_to_login(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_is_french(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert "Nom d’utilisateur" in html
    assert "Mot de passe" in html
    assert "Aller au contenu" in html


def test_login_with_bad_password_answers_in_french(client, coordinator):
    response = client.post(reverse("login"), {"username": "coordination", "password": "faux"})
    assert response.status_code == 200
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in response.content.decode()


def test_login_then_home_lists_my_conventions(client, coordinator, other_convention):
    response = client.post(
        reverse("login"), {"username": "coordination", "password": "password"}, follow=True
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert "Convention Territoriale Globale de la Communauté de communes Thoré" in html
    assert other_convention.title not in html
    assert [c.slug for c in response.context["conventions"]] == ["thore-montagne-noire-2023-2025"]
    assert response.context["conventions"][0].sheet_count == 16


def test_home_counts_only_sheets_not_archived(client, coordinator, seeded):
    seeded.action_sheets.filter(number__in=[15, 16]).update(archived_at=timezone.now())
    client.force_login(coordinator)
    response = client.get(reverse("portal:home"))
    assert response.context["conventions"][0].sheet_count == 14


def test_superuser_sees_every_convention(client, superuser, seeded, other_convention):
    client.force_login(superuser)
    response = client.get(reverse("portal:home"))
    assert {c.slug for c in response.context["conventions"]} == {seeded.slug, "autre-ctg"}


def test_home_query_count_does_not_grow(client, coordinator, seeded, django_assert_max_num_queries):
    client.force_login(coordinator)
    with django_assert_max_num_queries(4):
        client.get(reverse("portal:home"))
    for number in range(100, 160):
        ActionSheetFactory(convention=seeded, objective=seeded.objectives.first(), number=number)
    with django_assert_max_num_queries(4):
        assert client.get(reverse("portal:home")).context["conventions"][0].sheet_count == 76


def test_logout_is_post_only(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 302


def test_base_layout_has_landmarks(client, coordinator):
    client.force_login(coordinator)
    html = client.get(reverse("portal:home")).content.decode()
    for landmark in ("<header", "<nav", '<main id="main"', "<footer", 'href="#main"'):
        assert landmark in html
    assert html.count("<h1") == 1
    assert "vendor/bootstrap/bootstrap.min.css" in html
