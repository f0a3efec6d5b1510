"""Hardening: login throttling, security headers, error pages, the health check."""

from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"


def login(client, password, username="coordination"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="192.0.2.10"
    )


def test_lockout_after_five_failures(client, coordinator, superuser):
    for _ in range(4):
        response = login(client, "wrong")
        assert response.status_code == 200
        assert (
            "Saisissez un nom d’utilisateur et un mot de passe valides" in response.content.decode()
        )
    assert login(client, "wrong").status_code == 429  # the fifth failure locks the account
    response = login(client, "password")  # even the right password: locked
    assert response.status_code == 429
    html = response.content.decode().replace("\u00a0", " ")
    assert "Trop de tentatives de connexion" in html
    assert "15 minutes" in html
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    from .factories import UserFactory

    UserFactory(username="autre")
    assert login(client, "password", username="autre").status_code == 302
    # The attempts are visible in the admin.
    client.force_login(superuser)
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 200
    assert "coordination" in response.content.decode()


def test_success_resets_the_count(client, coordinator):
    for _ in range(4):
        login(client, "wrong")
    assert login(client, "password").status_code == 302
    client.logout()
    for _ in range(4):
        login(client, "wrong")
    assert login(client, "password").status_code == 302


PAGES = [
    reverse("portal:home"),
    reverse("login"),
    reverse("portal:overview"),
    reverse("portal:dashboard", args=[SLUG]),
    reverse("actions:list", args=[SLUG]),
    reverse("actions:detail", args=[SLUG, 4]),
    reverse("actions:edit", args=[SLUG, 4]),
    reverse("funding:table", args=[SLUG]),
    reverse("funding:export", args=[SLUG, "xlsx"]),
    reverse("admin:index"),
    "/page-qui-n-existe-pas/",
    reverse("healthz"),
]


@pytest.mark.parametrize("url", PAGES)
def test_security_headers_on_every_page(client, superuser, seeded, url):
    client.force_login(superuser)
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]


def test_no_inline_script_or_style_in_pages(client, superuser, seeded):
    client.force_login(superuser)
    for url in PAGES[:8]:
        html = client.get(url).content.decode()
        assert "<script>" not in html and "style=" not in html, url
        assert "<style" not in html, url


def test_french_error_pages(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/page-qui-n-existe-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
    assert '<main id="main"' in response.content.decode()
    response = client.post(reverse("actions:edit", args=[SLUG, 4]).replace("4", "5"))
    from django.views import defaults

    request = RequestFactory().get("/")
    for view, status, text in [
        (defaults.server_error, 500, "Erreur du serveur"),
        (defaults.bad_request, 400, "Requête incorrecte"),
    ]:
        response = view(request) if view is defaults.server_error else view(request, Exception())
        assert response.status_code == status
        assert text in response.content.decode()


def test_csrf_failure_page_is_french(coordinator):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    response = client.post(reverse("actions:note_add", args=[SLUG, 4]), {"text": "x"})
    assert response.status_code == 403
    assert "Formulaire expiré" in response.content.decode()


def test_healthz(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]
    with mock.patch("ctg_portal.views.connection.cursor", side_effect=DatabaseError("down")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503


def test_sessions_expire_after_inactivity(client, coordinator, settings):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    client.force_login(coordinator)
    client.get(reverse("portal:home"))
    session = Session.objects.get()
    first_expiry = session.expire_date
    # Within the refresh interval: no write.
    client.get(reverse("portal:home"))
    assert Session.objects.get().expire_date == first_expiry
    # After it, the request pushes the expiry back.
    data = client.session
    data["_touched"] = 0
    data.save()
    client.get(reverse("portal:home"))
    assert Session.objects.get().expire_date >= first_expiry
    assert Session.objects.get().get_decoded()["_touched"] > 0
    # A session past its expiry is no longer accepted.
    Session.objects.update(expire_date=session.expire_date.replace(year=2000))
    assert client.get(reverse("portal:home")).status_code == 302
