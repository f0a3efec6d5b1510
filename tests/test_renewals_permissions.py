"""The permission matrix of the renewal wizard: coordinators, superusers and the managers of
the convention's CAF renew; the other members (CAF staff at the CAF included) get 403, outsiders
404, anonymous visitors the login page. Nothing is written by any request here."""

import pytest
from django.urls import reverse

from conventions.models import Convention

from .helpers import expected_status

pytestmark = pytest.mark.django_db

PERSONAS = [
    "coordinator",
    "pilot",
    "elected",
    "caf_staff",
    "outsider",
    "anonymous",
    "superuser",
    "caf_manager",
    "caf_level_staff",
]
RENEWERS = {"coordinator", "superuser", "caf_manager"}

URL_NAMES = {"renewals:renew"}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, seeded, persona, method):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    url = reverse("renewals:renew", args=[seeded.slug])
    response = getattr(client, method)(url)
    # An empty post is step 1 refused by its form (400) for those who may renew.
    ok = 200 if method == "get" else 400
    assert response.status_code == expected_status(persona, RENEWERS, ok)
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    if response.status_code == 403:
        assert "Accès refusé" in response.content.decode()
    assert Convention.objects.count() == (2 if persona == "outsider" else 1)


def test_an_unknown_convention_is_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("renewals:renew", args=["inconnue"])).status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_refused(client, coordinator, seeded, method):
    client.force_login(coordinator)
    url = reverse("renewals:renew", args=[seeded.slug])
    assert getattr(client, method)(url).status_code == 405


def test_matrix_names_every_url_of_the_module():
    from renewals import urls

    assert {f"renewals:{p.name}" for p in urls.urlpatterns} == URL_NAMES
