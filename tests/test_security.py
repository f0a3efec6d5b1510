"""Hardening: login throttling, security headers, error pages, the health check."""

import datetime
from unittest import mock

import pytest
import time_machine
from django.db import DatabaseError, connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from .helpers import once

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
    response = client.post(reverse("actions:edit", args=[SLUG, 5]))  # an empty form
    assert response.status_code == 400
    assert "Ce champ est obligatoire" in response.content.decode()
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
    response = client.post(
        reverse("actions:note_add", args=[SLUG, 4]), {"text": "x", "submission": once()}
    )
    assert response.status_code == 403
    assert "Formulaire expiré" in response.content.decode()


def test_server_errors_are_mailed_to_admins(client, coordinator, seeded, settings, mailoutbox):
    settings.ADMINS = [("Exploitation", "exploitation@example.org")]
    client.raise_request_exception = False
    client.force_login(coordinator)
    with mock.patch("portal.views.build_dashboard", side_effect=RuntimeError("panne")):
        response = client.get(reverse("portal:dashboard", args=[SLUG]))
    assert response.status_code == 500
    assert "L’erreur a été enregistrée" in response.content.decode()
    assert [m.to for m in mailoutbox] == [["exploitation@example.org"]]
    assert "RuntimeError" in mailoutbox[0].body or "panne" in mailoutbox[0].body


def test_healthz(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]
    with mock.patch("ctg_portal.views.connection.cursor", side_effect=DatabaseError("down")):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's read-only switch")
def test_healthz_fails_when_the_database_refuses_writes(client):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA query_only = ON")
    try:
        assert client.get(reverse("healthz")).status_code == 503
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = OFF")
    assert client.get(reverse("healthz")).status_code == 200


def test_postgresql_connections_time_out(settings):
    from django.db import connections

    if connections["default"].vendor == "postgresql":
        assert settings.DATABASES["default"]["OPTIONS"]["connect_timeout"] == 5


def test_refused_access_is_logged_quietly(client, elected, seeded, caplog):
    client.force_login(elected)
    with caplog.at_level("INFO", logger="django.request"):
        assert client.get(reverse("actions:edit", args=[SLUG, 4])).status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.levelname == "INFO" and not r.exc_info for r in records)


def test_authenticated_pages_are_never_stored_by_caches(client, coordinator, seeded):
    client.force_login(coordinator)
    for url in (
        reverse("portal:dashboard", args=[SLUG]),
        reverse("funding:export", args=[SLUG, "csv"]),
        reverse("actions:export", args=[SLUG, "xlsx"]),
    ):
        cache_control = client.get(url)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control, url
    client.logout()
    seeded.is_public = True
    seeded.save()
    # The public page holds no personal data: caches may keep it.
    assert "no-store" not in client.get(reverse("portal:public", args=[SLUG])).get(
        "Cache-Control", ""
    )


def test_sessions_expire_after_inactivity(client, coordinator, settings):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    client.force_login(coordinator)
    client.get(reverse("portal:home"))
    session = Session.objects.get()
    first_expiry = session.expire_date
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=4)):
        # Within the refresh interval: no write.
        client.get(reverse("portal:home"))
        assert Session.objects.get().expire_date == first_expiry
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=6)):
        # After it, the request pushes the expiry back by the time elapsed.
        client.get(reverse("portal:home"))
        later = Session.objects.get().expire_date
        assert later - first_expiry >= datetime.timedelta(minutes=5)
    # A session past its expiry is no longer accepted.
    Session.objects.update(expire_date=session.expire_date.replace(year=2000))
    assert client.get(reverse("portal:home")).status_code == 302
