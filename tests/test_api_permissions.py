"""The API's permission matrix: each persona with a token of their own (anonymous: none) on
every API URL, and the account page's token URLs (login first)."""

import pytest
from django.urls import reverse

from accounts.models import ApiToken
from api import tokens

from .api_helpers import api_client

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]

URL_NAMES = {
    "api:conventions",
    "api:convention",
    "api:objectives",
    "api:sheets",
    "api:sheet",
    "api:steps",
    "api:indicators",
    "api:funding",
    "api:meetings",
    "api:schema",
    "api:docs",
    "api_account:create",
    "api_account:revoke",
}

READERS = {"anonymous": (401, 401), "outsider": (404, 405), "*": (200, 405)}
# name → {persona: (GET, POST)}; "*" for every persona not listed. The API answers 401 to a
# request without a token before anything else; a convention the persona may not read is a
# 404, whatever the method; every method but GET is a 405.
MATRIX = {
    "api:conventions": {"anonymous": (401, 401), "*": (200, 405)},
    "api:convention": READERS,
    "api:objectives": READERS,
    "api:sheets": READERS,
    "api:sheet": READERS,
    "api:steps": READERS,
    "api:indicators": READERS,
    "api:funding": READERS,
    "api:meetings": READERS,
    "api:schema": {"*": (200, 405)},
    "api:docs": {"*": (200, 405)},
    # A post without its form's token is refused (400, the account page with the error); a
    # GET goes back to the account page.
    "api_account:create": {"anonymous": (302, 302), "*": (302, 400)},
    "api_account:revoke": {"anonymous": (302, 302), "*": (302, 302)},
}
ARGS = {
    "api:convention": [SLUG],
    "api:objectives": [SLUG],
    "api:sheets": [SLUG],
    "api:sheet": [SLUG, 1],
    "api:steps": [SLUG],
    "api:indicators": [SLUG],
    "api:funding": [SLUG],
    "api:meetings": [SLUG],
}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, seeded, pilot, persona, name, method):
    # The pilot's token, to revoke: nobody else's post revokes it.
    token, _text = tokens.create(pilot, "matrice")
    args = [token.pk] if name == "api_account:revoke" else ARGS.get(name, [])
    address = reverse(name, args=args)
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    if name.startswith("api_account:"):
        if user is not None:
            client.force_login(user)
        caller = client
    else:
        caller = api_client(user) if user is not None else client
    response = getattr(caller, method)(address)
    expectations = MATRIX[name]
    get_status, post_status = expectations.get(persona, expectations["*"])
    assert response.status_code == (get_status if method == "get" else post_status)
    if name.startswith("api:") and name != "api:docs":
        assert "json" in response["Content-Type"]
    if name.startswith("api_account:") and response.status_code == 302:
        expected = reverse("login") if persona == "anonymous" else reverse("account:home")
        assert response["Location"].startswith(expected)
    revoked = ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert revoked == (name == "api_account:revoke" and method == "post" and persona == "pilot")


def test_caf_level_staff_read_their_cafs_conventions(caf_level_staff, seeded):
    client = api_client(caf_level_staff)
    assert client.get(reverse("api:sheets", args=[SLUG])).status_code == 200
    assert [c["slug"] for c in client.get(reverse("api:conventions")).json()["results"]] == [SLUG]


def test_an_outsider_lists_only_their_own_conventions(outsider, seeded):
    slugs = [
        c["slug"] for c in api_client(outsider).get(reverse("api:conventions")).json()["results"]
    ]
    assert slugs == ["autre-ctg"]


def test_matrix_names_every_url_of_the_modules():
    from api import urls, urls_account

    assert set(MATRIX) == URL_NAMES
    names = {f"api:{p.name}" for p in urls.urlpatterns}
    names |= {f"api_account:{p.name}" for p in urls_account.urlpatterns}
    assert names == URL_NAMES
