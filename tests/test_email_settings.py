"""E-mail settings from the environment: EMAIL_URL or EMAIL_HOST and its companions (the
DJANGO_-prefixed names still work), the console backend under debug and in `make run`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from ctg_portal.settings import email_settings

BASE_DIR = Path(__file__).resolve().parent.parent
SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"


def smtp(**changes):
    expected = {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": "localhost",
        "EMAIL_PORT": 25,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
    }
    expected.update(changes)
    return expected


@pytest.mark.parametrize(
    ("environ", "debug", "expected"),
    [
        # Nothing set: a local mail server in production, the log under debug.
        ({}, False, smtp()),
        ({}, True, smtp(EMAIL_BACKEND=CONSOLE)),
        ({"EMAIL_URL": "  "}, True, smtp(EMAIL_BACKEND=CONSOLE)),
        (
            {
                "EMAIL_URL": "smtp://ctg%40example.org:p%40ss%20w%2Frd@mail.example.org:587/?tls=True"
            },
            False,
            smtp(
                EMAIL_HOST="mail.example.org",
                EMAIL_PORT=587,
                EMAIL_HOST_USER="ctg@example.org",
                EMAIL_HOST_PASSWORD="p@ss w/rd",
                EMAIL_USE_TLS=True,
            ),
        ),
        (
            {"EMAIL_URL": "smtps://u:p@mail.example.org?timeout=30"},
            True,
            smtp(
                EMAIL_HOST="mail.example.org",
                EMAIL_PORT=465,
                EMAIL_HOST_USER="u",
                EMAIL_HOST_PASSWORD="p",
                EMAIL_USE_SSL=True,
                EMAIL_TIMEOUT=30,
            ),
        ),
        ({"EMAIL_URL": "smtp://relay"}, True, smtp(EMAIL_HOST="relay")),
        (
            {"EMAIL_URL": "smtp://relay:2525/?ssl=yes", "EMAIL_TIMEOUT": "5"},
            False,
            smtp(EMAIL_HOST="relay", EMAIL_PORT=2525, EMAIL_USE_SSL=True, EMAIL_TIMEOUT=5),
        ),
        ({"EMAIL_URL": "console:"}, False, smtp(EMAIL_BACKEND=CONSOLE)),
        (
            {"EMAIL_URL": "dummy:"},
            False,
            smtp(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        ),
        (
            {"EMAIL_URL": "file:///var/mail/ctg"},
            False,
            smtp(
                EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                EMAIL_FILE_PATH="/var/mail/ctg",
            ),
        ),
        # The names documented first, with their DJANGO_ prefix.
        (
            {
                "DJANGO_EMAIL_HOST": "smtp.example.org",
                "DJANGO_EMAIL_PORT": "587",
                "DJANGO_EMAIL_HOST_USER": "ctg",
                "DJANGO_EMAIL_HOST_PASSWORD": " secret with spaces ",
                "DJANGO_EMAIL_USE_TLS": "true",
            },
            True,  # configured: SMTP even under debug
            smtp(
                EMAIL_HOST="smtp.example.org",
                EMAIL_PORT=587,
                EMAIL_HOST_USER="ctg",
                EMAIL_HOST_PASSWORD=" secret with spaces ",
                EMAIL_USE_TLS=True,
            ),
        ),
        # The new names win over the old ones.
        (
            {
                "EMAIL_HOST": "new.example.org",
                "DJANGO_EMAIL_HOST": "old.example.org",
                "EMAIL_USE_SSL": "on",
                "EMAIL_PORT": "465",
                "EMAIL_TIMEOUT": "20",
            },
            False,
            smtp(
                EMAIL_HOST="new.example.org", EMAIL_PORT=465, EMAIL_USE_SSL=True, EMAIL_TIMEOUT=20
            ),
        ),
    ],
)
def test_email_settings(environ, debug, expected):
    assert email_settings(environ, debug) == expected


def test_file_backend_defaults_under_var():
    conf = email_settings({"EMAIL_URL": "file:"}, False)
    assert conf["EMAIL_FILE_PATH"].endswith("var/emails")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"EMAIL_URL": "smpt://mail.example.org"},
            "EMAIL_URL must start with smtp:, smtps:, console:, file:, dummy: (not smpt:).",
        ),
        ({"EMAIL_URL": "mail.example.org"}, "(it has no scheme)"),
        ({"EMAIL_URL": "smtp://mail:port/"}, "EMAIL_URL has an invalid port."),
        ({"EMAIL_URL": "smtp://mail:99999/"}, "EMAIL_URL has an invalid port."),
        ({"EMAIL_URL": "smtp://mail/?starttls=1"}, "not starttls"),
        ({"EMAIL_URL": "smtp://mail/?tls=maybe"}, "EMAIL_URL's tls must be true or false"),
        ({"EMAIL_URL": "smtp://mail/?timeout=0"}, "EMAIL_URL's timeout must be a number"),
        ({"EMAIL_URL": "smtps://mail/?tls=true"}, "exclude each other"),
        ({"EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"}, "exclude each other"),
        ({"EMAIL_USE_TLS": "maybe"}, "EMAIL_USE_TLS must be true or false, not 'maybe'."),
        ({"DJANGO_EMAIL_PORT": "smtp"}, "EMAIL_PORT must be a number from 1 to 65535"),
        ({"EMAIL_TIMEOUT": "-1"}, "EMAIL_TIMEOUT must be a number from 1 to 3600"),
        (
            {"EMAIL_URL": "console:", "DJANGO_EMAIL_HOST": "mail", "EMAIL_HOST_PASSWORD": "x"},
            "Set EMAIL_URL or EMAIL_HOST, EMAIL_HOST_PASSWORD (or their DJANGO_ names), not both.",
        ),
    ],
)
def test_bad_settings_stop_with_a_clear_message(environ, message):
    with pytest.raises(ImproperlyConfigured) as error:
        email_settings(environ, False)
    assert message in str(error.value)


def test_messages_do_not_show_the_password():
    with pytest.raises(ImproperlyConfigured) as error:
        email_settings({"EMAIL_URL": "smpt://user:s3cr3t@mail/"}, False)
    assert "s3cr3t" not in str(error.value)


# The settings module itself, started in a fresh process as the servers start it.


def manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "EMAIL_")) and k != "DEFAULT_FROM_EMAIL"
    }
    clean.update({"DJANGO_SECRET_KEY": "x" * 60, **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "smtp localhost 25 10 ctg-portal@localhost"),
        ({"DJANGO_DEBUG": "true"}, "console localhost 25 10 ctg-portal@localhost"),
        (
            {"EMAIL_URL": "smtp://mail.example.org:587?tls=1", "DJANGO_SERVER_EMAIL": "s@x.org"},
            "smtp mail.example.org 587 10 s@x.org",
        ),
        (
            {"DJANGO_EMAIL_HOST": "old.example.org", "DJANGO_DEFAULT_FROM_EMAIL": "old@x.org"},
            "smtp old.example.org 25 10 old@x.org",
        ),
        (
            {"DEFAULT_FROM_EMAIL": "Portail CTG <ctg@x.org>", "DJANGO_DEFAULT_FROM_EMAIL": "o@x"},
            "smtp localhost 25 10 Portail CTG <ctg@x.org>",
        ),
    ],
)
def test_settings_from_the_environment(env, expected):
    code = (
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND.split('.')[-2], s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_TIMEOUT, "
        "s.DEFAULT_FROM_EMAIL)"
    )
    result = manage("shell", "--no-imports", "-c", code, env=env)
    assert result.stdout.strip() == expected, result.stderr


def test_bad_setting_stops_the_start():
    result = manage("check", env={"EMAIL_URL": "smtp://mail/?tls=perhaps"})
    assert result.returncode != 0
    assert "EMAIL_URL's tls must be true or false, not 'perhaps'." in result.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_prints_emails_in_its_log():
    result = subprocess.run(
        ["make", "--dry-run", "--always-make", "run"],
        cwd=BASE_DIR,
        env={k: v for k, v in os.environ.items() if k != "EMAIL_URL"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    server = next(line for line in result.stdout.splitlines() if "gunicorn" in line)
    assert 'EMAIL_URL="console:"' in server
    migrate = next(line for line in result.stdout.splitlines() if "migrate" in line)
    assert 'EMAIL_URL="console:"' in migrate
