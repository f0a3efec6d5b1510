"""The API's OpenAPI 3 schema: valid, with the bearer scheme, and every list documenting its
filters and pages; the documentation page built from it."""

import pytest
from django.urls import reverse
from openapi_spec_validator import validate

from api import filters

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1/conventions/"
LISTS = {
    PREFIX: filters.ConventionFilters,
    PREFIX + "{slug}/objectives/": filters.NoFilters,
    PREFIX + "{slug}/sheets/": filters.SheetFilters,
    PREFIX + "{slug}/steps/": filters.NoFilters,
    PREFIX + "{slug}/indicators/": filters.NoFilters,
    PREFIX + "{slug}/funding/": filters.FundingFilters,
    PREFIX + "{slug}/meetings/": filters.MeetingFilters,
}


@pytest.fixture(scope="module")
def spec(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get(reverse("api:schema"))
    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    return response.json()


def test_the_schema_is_valid_openapi_3(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_endpoint_requires_the_bearer_token(spec):
    assert spec["components"]["securitySchemes"]["jeton"]["scheme"] == "bearer"
    for path, operations in spec["paths"].items():
        assert set(operations) == {"get"}, path
        assert operations["get"]["security"] == [{"jeton": []}], path


@pytest.mark.parametrize("path", sorted(LISTS))
def test_every_list_documents_its_filters_and_pages(spec, path):
    parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
    expected = {"page", "page_size", *LISTS[path]().fields}
    assert expected <= set(parameters)
    for name in expected:
        assert parameters[name].get("description"), (path, name)


def test_the_documentation_page_shows_every_endpoint(client, spec):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    page = response.content.decode()
    for path in spec["paths"]:
        assert path in page
    assert "updated_since" in page and "Authorization: Bearer" in page
    assert "Les fiches actions de la convention" in page
