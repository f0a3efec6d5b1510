"""Settings read from the environment: production must be safe, a missing key must stop."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DJANGO_SECRET_KEY": "a-long-production-secret-key-with-enough-entropy-0123456789-abcdefgh",
    "DJANGO_ALLOWED_HOSTS": "ctg.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://ctg.example.org",
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_has_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_stops_with_a_clear_message():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "True True True"),
        ({"DJANGO_SECURE_SSL_REDIRECT": "false"}, "False True True"),
        ({"DJANGO_SECURE_COOKIES": "false"}, "True False False"),
        ({"DJANGO_DEBUG": "true"}, "False False False"),
    ],
)
def test_security_switches(env, expected):
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    result = manage("shell", "--no-imports", "-c", code, env={**PRODUCTION, **env})
    assert result.stdout.strip() == expected, result.stderr


def test_production_defaults():
    code = (
        "from django.conf import settings as s; "
        "d = s.DATABASES['default']; "
        "print(s.DEBUG, s.LANGUAGE_CODE, s.TIME_ZONE, d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], "
        "s.SECURE_HSTS_SECONDS > 0, s.STORAGES['staticfiles']['BACKEND'])"
    )
    result = manage("shell", "--no-imports", "-c", code, env=PRODUCTION)
    assert result.stdout.split() == [
        "False",
        "fr",
        "Europe/Paris",
        "600",
        "True",
        "True",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ], result.stderr
