"""Permission matrix of the funding pages: URL × persona × method → status.

Coordinators, CAF staff and superusers manage funding; pilots and elected officials read it;
members of another convention get 404; anonymous visitors go to the login page.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from funding.models import FundingAmount, FundingLine, Payment

from .helpers import back_to_form, expected_status, not_served, once

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]
MANAGERS = {"coordinator", "caf_staff", "superuser"}


def members(ok):
    return lambda p: expected_status(p, set(PERSONAS), ok)


def managers(ok):
    return lambda p: expected_status(p, MANAGERS, ok)


def cases(line, payment=None):
    pk = payment.pk if payment else 0
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
        "payment": (
            reverse("funding:payment", args=[SLUG, pk]),
            members(200),
            None,
            not_served,
        ),
        "payment_correct": (
            reverse("funding:payment_correct", args=[SLUG, pk]),
            back_to_form,
            lambda: {
                "correct-amount": "500",
                "correct-paid_on": "2024-03-15",
                "correct-kind": "advance",
                "correct-note": "",
                "correct-reason": "5 000 € saisis au lieu de 500 €",
                "correct-version": payment.version,
            },
            managers(302),
        ),
        "payment_cancel": (
            reverse("funding:payment_cancel", args=[SLUG, pk]),
            back_to_form,
            lambda: {"cancel-reason": "Saisi deux fois", "cancel-version": payment.version},
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
    "payment",
    "payment_correct",
    "payment_cancel",
    "import",
    "import_confirm",
]


def a_payment(line):
    return Payment.objects.create(
        funding_amount=FundingAmount.objects.get(line=line, year=2024),
        amount=Decimal("5000"),
        paid_on=datetime.date(2024, 3, 15),
    )


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url_name", URL_NAMES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, seeded, persona, url_name, method):
    line = FundingLine.objects.get(convention=seeded, label="Passerelle")
    payment = a_payment(line)
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    url, get_expected, payload, post_expected = cases(line, payment)[url_name]
    if method == "get":
        response = client.get(url)
        status = get_expected(persona)
    else:
        response = client.post(url, payload() if payload else {})
        status = post_expected(persona)
    assert response.status_code == status, (persona, url_name, method)
    if url_name == "payment_add" and method == "post":
        assert (Payment.objects.count() == 2) == (persona in MANAGERS)
    payment.refresh_from_db()
    written = persona in MANAGERS and method == "post"
    assert (payment.amount == Decimal("500")) == (written and url_name == "payment_correct")
    assert payment.is_cancelled == (written and url_name == "payment_cancel")


def test_a_payment_of_another_convention_is_not_found(client, seeded, other_convention, outsider):
    """The payment's id is looked up within the convention of the address: a member of one
    convention reaches no payment of another through it."""
    from .factories import FundingAmountFactory, FundingLineFactory

    foreign = FundingAmountFactory(line=FundingLineFactory(convention=seeded), year=2024)
    payment = Payment.objects.create(
        funding_amount=foreign, amount=Decimal("10"), paid_on=datetime.date(2024, 1, 1)
    )
    client.force_login(outsider)
    slug = other_convention.slug
    assert client.get(reverse("funding:payment", args=[slug, payment.pk])).status_code == 404
    response = client.post(
        reverse("funding:payment_cancel", args=[slug, payment.pk]),
        {"cancel-reason": "x", "cancel-version": 1},
    )
    assert response.status_code == 404
    payment.refresh_from_db()
    assert not payment.is_cancelled


def test_matrix_covers_every_funding_url():
    from funding.urls import urlpatterns

    assert {p.name for p in urlpatterns} == {
        "table",
        "export",
        "amounts",
        "payment_add",
        "payment",
        "payment_correct",
        "payment_cancel",
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
