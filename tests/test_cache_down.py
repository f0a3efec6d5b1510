"""A shared cache that does not answer (Redis down) degrades, never fails: the throttled views
(feeds, open data, the API) answer as if nothing were counted or cached, and say so in the log."""

import pytest
from django.urls import reverse

from conventions.services import set_public

from .api_helpers import api_client
from .test_feeds import feed_url

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
# Nothing listens on port 1: every cache call fails at once with a connection error.
DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture
def cache_down(settings):
    settings.CACHES = DOWN


def test_open_data_and_the_public_feed_are_served(client, coordinator, seeded, cache_down, caplog):
    set_public(seeded, True, coordinator)
    files = reverse("opendata:file", args=[SLUG, "fiches"])
    response = client.get(files)
    assert response.status_code == 200 and response.content.startswith(b"numero,")
    assert client.get(reverse("opendata:datapackage", args=[SLUG])).status_code == 200
    assert client.get(reverse("feeds:public", args=[SLUG])).status_code == 200
    assert "the cache does not answer" in caplog.text


def test_the_personal_feed_and_the_api_are_served(client, pilot, cache_down, caplog):
    response = client.get(feed_url(pilot))
    assert response.status_code == 200
    assert api_client(pilot).get(reverse("api:conventions")).status_code == 200
    assert "cache does not answer" in caplog.text
