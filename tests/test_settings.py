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


# Several instances: the shared cache (CACHE_URL), sessions, the documents' storage.
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def redis_cache(location):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "ctg",
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        }
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, LOCMEM),
        ("", LOCMEM),
        ("locmem://", LOCMEM),
        ("redis://127.0.0.1:6379/15", redis_cache("redis://127.0.0.1:6379/15")),
        ("redis://cache.internal", redis_cache("redis://cache.internal")),
        (
            " rediss://:s3cr%40t@cache.example.org:6380/2 ",
            redis_cache("rediss://:s3cr%40t@cache.example.org:6380/2"),
        ),
    ],
)
def test_cache_url(url, expected):
    from ctg_portal.settings import cache_settings

    assert cache_settings({} if url is None else {"CACHE_URL": url}) == expected


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("memcached://127.0.0.1:11211", "not memcached://"),
        ("127.0.0.1:6379", "must start with locmem://, redis:// or rediss://"),
        ("redis://127.0.0.1:port/0", "invalid port"),
        ("redis:///0", "must name a Redis server"),
        ("redis://127.0.0.1:6379/16", "a database from 0 to 15"),
        ("redis://127.0.0.1:6379/cache", "a database from 0 to 15"),
    ],
)
def test_a_bad_cache_url_is_refused_clearly(url, words):
    from django.core.exceptions import ImproperlyConfigured

    from ctg_portal.settings import cache_settings

    with pytest.raises(ImproperlyConfigured, match=words):
        cache_settings({"CACHE_URL": url})


def test_a_bad_cache_url_stops_the_start():
    result = manage("check", env={**PRODUCTION, "CACHE_URL": "memcached://127.0.0.1"})
    assert result.returncode != 0
    assert "CACHE_URL must start with locmem://, redis:// or rediss://" in result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "django.contrib.sessions.backends.db LocMemCache"),
        (
            {"CACHE_URL": "redis://127.0.0.1:6379/15"},
            "django.contrib.sessions.backends.db RedisCache",
        ),
        (
            {"CACHE_URL": "redis://127.0.0.1:6379/15", "SESSION_BACKEND": "cache"},
            "django.contrib.sessions.backends.cached_db RedisCache",
        ),
    ],
)
def test_sessions_and_cache_from_the_environment(env, expected):
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_ENGINE, s.CACHES['default']['BACKEND'].rsplit('.', 1)[-1])"
    )
    result = manage("shell", "--no-imports", "-c", code, env={**PRODUCTION, **env})
    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"SESSION_BACKEND": "cache"}, "SESSION_BACKEND=cache needs a shared cache"),
        ({"SESSION_BACKEND": "file"}, "SESSION_BACKEND must be db or cache, not 'file'"),
    ],
)
def test_bad_session_backends_stop_the_start(env, words):
    result = manage("check", env={**PRODUCTION, **env})
    assert result.returncode != 0
    assert words in result.stderr


def test_documents_are_on_local_disk_by_default():
    from ctg_portal.settings import file_storage

    assert file_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_documents_go_to_s3_when_a_bucket_is_named():
    from ctg_portal.settings import file_storage

    storage = file_storage(
        {
            "S3_BUCKET": "ctg-documents",
            "S3_ENDPOINT_URL": "https://s3.fr-par.scw.cloud",
            "S3_REGION": "fr-par",
            "S3_PREFIX": "/portail/",
            "AWS_ACCESS_KEY_ID": "read-by-boto3-itself",
        }
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "ctg-documents"
    assert options["endpoint_url"] == "https://s3.fr-par.scw.cloud"
    assert options["region_name"] == "fr-par"
    assert options["location"] == "portail"
    assert options["addressing_style"] == "path"
    # Private objects, never overwritten: the portal streams them after its access check.
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    assert "access_key" not in options  # the credentials stay boto3's (environment, role)
    # AWS itself: no endpoint, the bucket addressed by its host name.
    aws = file_storage({"S3_BUCKET": "ctg-documents"})["OPTIONS"]
    assert aws["endpoint_url"] is None and aws["addressing_style"] is None


@pytest.mark.parametrize(
    ("environ", "words"),
    [
        ({"S3_ENDPOINT_URL": "http://127.0.0.1:9000"}, "S3_ENDPOINT_URL without S3_BUCKET"),
        ({"S3_REGION": "fr-par", "S3_PREFIX": "x"}, "S3_REGION, S3_PREFIX without S3_BUCKET"),
        ({"S3_BUCKET": "b", "S3_ENDPOINT_URL": "127.0.0.1:9000"}, "http:// or https://"),
        ({"S3_BUCKET": "b", "S3_ENDPOINT_URL": "ftp://s3.example.org"}, "http:// or https://"),
    ],
)
def test_a_bad_storage_setting_is_refused_clearly(environ, words):
    from django.core.exceptions import ImproperlyConfigured

    from ctg_portal.settings import file_storage

    with pytest.raises(ImproperlyConfigured, match=words):
        file_storage(environ)


def test_the_storage_is_chosen_at_start():
    code = "from django.conf import settings as s; print(s.STORAGES['default']['BACKEND'])"
    env = {**PRODUCTION, "S3_BUCKET": "ctg-documents", "S3_ENDPOINT_URL": "http://127.0.0.1:9000"}
    result = manage("shell", "--no-imports", "-c", code, env=env)
    assert result.stdout.strip() == "storages.backends.s3.S3Storage", result.stderr
    result = manage("check", env={**PRODUCTION, "S3_ENDPOINT_URL": "http://127.0.0.1:9000"})
    assert result.returncode != 0 and "without S3_BUCKET" in result.stderr
