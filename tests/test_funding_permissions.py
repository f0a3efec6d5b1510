"""Permission matrix of the funding pages: URL × persona × method → status.

Coordinators, CAF staff and superusers manage funding; pilots and elected officials read it;
members of another convention get 404; anonymous visitors go to the login page.
"""

import pytest
from django.urls import reverse

from funding.models import FundingLine, Payment

from .helpers import back_to_form, expected_status, not_served, once

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]
MANAGERS = {"coordinator", "caf_staff", "superuser"}


def members(ok):
    return lambda p: expected_status(p, set(PERSONAS), ok)


def managers(ok):
    return lambda p: expected_status(p, MANAGERS, ok)


def cases(line):
    return {
        "table": (reverse("funding:table", args=[SLUG]), members(200), None, not_served),
        "export_csv": (
            reverse("funding:export", args=[SLUG, "csv"]),
            members(200),
            None,
            not_served,
        ),
        "export_xlsx": (
            reverse("funding:export", args=[SLUG, "xlsx"]),
            members(200),
            None,
            not_served,
        ),
        "export_ods": (
            reverse("funding:export", args=[SLUG, "ods"]),
            members(200),
            None,
            not_served,
        ),
        "amounts": (
            reverse("funding:amounts", args=[SLUG]),
            managers(200),
            dict,
            managers(400),
        ),  # an empty grid is refused: existing amounts can't be emptied
        "payment_add": (
            reverse("funding:payment_add", args=[SLUG]),
            back_to_form,
            lambda: {
                "line": line.pk,
                "year": 2024,
                "amount": "100",
                "paid_on": "2024-03-15",
                "kind": "advance",
                "submission": once(),
            },
            managers(302),
        ),
        "import": (reverse("funding:import", args=[SLUG]), managers(200), dict, managers(400)),
        "import_confirm": (
            reverse("funding:import_confirm", args=[SLUG]),
            back_to_form,
            lambda: {"token": "nope"},
            managers(302),
        ),
    }


URL_NAMES = [
    "table",
    "export_csv",
    "export_xlsx",
    "export_ods",
    "amounts",
    "payment_add",
    "import",
    "import_confirm",
]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url_name", URL_NAMES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, seeded, persona, url_name, method):
    line = FundingLine.objects.get(convention=seeded, label="Passerelle")
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    url, get_expected, payload, post_expected = cases(line)[url_name]
    if method == "get":
        response = client.get(url)
        status = get_expected(persona)
    else:
        response = client.post(url, payload() if payload else {})
        status = post_expected(persona)
    assert response.status_code == status, (persona, url_name, method)
    if url_name == "payment_add" and method == "post":
        assert Payment.objects.exists() == (persona in MANAGERS)


def test_matrix_covers_every_funding_url():
    from funding.urls import urlpatterns

    assert {p.name for p in urlpatterns} == {
        "table",
        "export",
        "amounts",
        "payment_add",
        "import",
        "import_confirm",
    }


def test_readers_see_no_management_buttons(client, seeded, elected):
    client.force_login(elected)
    html = client.get(reverse("funding:table", args=[SLUG])).content.decode()
    assert reverse("funding:amounts", args=[SLUG]) not in html
    assert reverse("funding:import", args=[SLUG]) not in html
    assert 'id="payment-form"' not in html
    assert reverse("funding:export", args=[SLUG, "xlsx"]) in html
