"""Fuzzing the API's filters and pages: whatever the query string, every list answers 200 or
400, always in JSON — never a 404 for a page, never a 500."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .api_helpers import api_client

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
FUZZ = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LISTS = {
    "api:conventions": ["status", "caf", "updated_since"],
    "api:objectives": [],
    "api:sheets": ["status", "objective", "late", "updated_since"],
    "api:steps": [],
    "api:indicators": [],
    "api:funding": ["year"],
    "api:meetings": ["kind", "year"],
}

values = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "true",
            "false",
            "2025-02-30",
            "2025-11-28T25:00",
            "9999-12-31T23:59:59",
            "0001-01-01",
            "2025-11-28T10:00:00+14:00",
            "done",
            "copil",
            "in_force",
            "1e3",
            "\x00",
            "2025-11-28T10:00:00Z",
            "１２",
        ]
    ),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat()),
)


@pytest.fixture
def settings_no_throttle(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_user": "100000/min", "api_anon": "100000/min"},
    }


@pytest.fixture
def client_of(coordinator, settings_no_throttle):
    return api_client(coordinator)


@pytest.mark.parametrize("name", sorted(LISTS))
def test_lists_answer_200_or_400_in_json(client_of, name):
    address = reverse(name, args=[] if name == "api:conventions" else [SLUG])
    names = [*LISTS[name], "page", "page_size", "other"]

    @FUZZ
    @given(st.dictionaries(st.sampled_from(names), values, max_size=4))
    def check(params):
        cache.clear()
        response = client_of.get(address, params)
        assert response.status_code in (200, 400), (params, response.content[:300])
        body = response.json()
        if response.status_code == 400:
            assert body["detail"] and isinstance(body["errors"], dict)
        else:
            assert "results" in body

    check()
