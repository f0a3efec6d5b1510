"""Every id a user can send — in a form field or in the URL — with 2⁶³, −1 and an id of another
convention: a French refusal (form error or 404), never a 500, and nothing written.

The fuzz suite (test_fuzz.py) draws random input; this one tries each id field deliberately,
so that removing a guard on any single field fails a named test.
"""

import pytest
from django.urls import reverse

from actions.models import ActionSheet, IndicatorValue, ProgressNote, Step
from funding.models import FundingAmount, Payment

from .factories import (
    ActionSheetFactory,
    FundingAmountFactory,
    FundingLineFactory,
    IndicatorFactory,
    StepFactory,
    UserFactory,
)
from .helpers import once, sheet_edit_payload

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
HUGE = 2**63
BAD_IDS = ["huge", "negative", "foreign", "malformed"]


@pytest.fixture
def world(seeded, coordinator, other_convention):
    sheet = seeded.action_sheets.get(number=4)
    foreign_sheet = ActionSheetFactory(convention=other_convention, number=4)
    foreign_line = FundingLineFactory(convention=other_convention)
    foreign_user = UserFactory(username="inconnu")
    return {
        "sheet": sheet,
        "step": StepFactory(sheet=sheet),
        "indicator": IndicatorFactory(sheet=sheet),
        "foreign": {
            "objective": foreign_sheet.objective_id,
            "domains": other_convention.domains.create(name="Ailleurs").pk,
            "lead_partner": foreign_line.funder_id,
            "partners": foreign_line.funder_id,
            "communes": foreign_line.funder_id,
            "pilots": foreign_user.pk,
            "steps-0-id": StepFactory(sheet=foreign_sheet).pk,
            "indicators-0-id": IndicatorFactory(sheet=foreign_sheet).pk,
            "line": foreign_line.pk,
            "step": StepFactory(sheet=foreign_sheet).pk,
            "indicator": IndicatorFactory(sheet=foreign_sheet).pk,
        },
        "foreign_amount": FundingAmountFactory(line=foreign_line, year=2024),
    }


def bad(world, field, kind):
    # "malformed": found by the fuzz suite (a 500 before the id guard read only ASCII digits).
    malformed = "--0"
    return {
        "huge": HUGE,
        "negative": -1,
        "foreign": world["foreign"][field],
        "malformed": malformed,
    }[kind]


def snapshot():
    return (
        list(ActionSheet.objects.order_by("pk").values_list("pk", "version", "objective_id")),
        ActionSheet.history.count(),
        list(Step.objects.order_by("pk").values_list("pk", "sheet_id", "title", "done_on")),
        IndicatorValue.objects.count(),
        ProgressNote.objects.count(),
        Payment.objects.count(),
        list(FundingAmount.objects.order_by("pk").values_list("pk", "planned")),
    )


def refused(response, before):
    assert response.status_code in (400, 404), response.status_code
    assert snapshot() == before


SHEET_ID_FIELDS = [
    "objective",
    "domains",
    "lead_partner",
    "partners",
    "communes",
    "pilots",
    "steps-0-id",
    "indicators-0-id",
]


@pytest.mark.parametrize("kind", BAD_IDS)
@pytest.mark.parametrize("field", SHEET_ID_FIELDS)
def test_sheet_edit_id_fields(client, coordinator, world, field, kind):
    client.force_login(coordinator)
    sheet = world["sheet"]
    data = sheet_edit_payload(sheet, title="Titre modifié")
    data[field] = bad(world, field, kind)
    before = snapshot()
    response = client.post(reverse("actions:edit", args=[SLUG, 4]), data)
    refused(response, before)
    assert "Titre modifié" in response.content.decode()  # the input is kept


@pytest.mark.parametrize("kind", BAD_IDS)
@pytest.mark.parametrize("field", SHEET_ID_FIELDS[:6])
def test_sheet_create_id_fields(client, coordinator, world, field, kind):
    client.force_login(coordinator)
    data = sheet_edit_payload(world["sheet"], steps=[], indicators=[], title="Nouvelle")
    data["steps-INITIAL_FORMS"] = data["indicators-INITIAL_FORMS"] = 0
    data["number"] = 40
    data[field] = bad(world, field, kind)
    before = snapshot()
    refused(client.post(reverse("actions:create", args=[SLUG]), data), before)


@pytest.mark.parametrize("kind", BAD_IDS)
def test_payment_line_id(client, caf_staff, world, kind):
    client.force_login(caf_staff)
    data = {
        "line": bad(world, "line", kind),
        "year": 2024,
        "amount": "100",
        "paid_on": "2024-03-01",
        "kind": "advance",
        "submission": once(),
    }
    before = snapshot()
    refused(client.post(reverse("funding:payment_add", args=[SLUG]), data), before)


@pytest.mark.parametrize("kind", ["huge", "foreign"])
def test_step_done_url_id(client, coordinator, world, kind):
    client.force_login(coordinator)
    url = reverse("actions:step_done", args=[SLUG, 4, bad(world, "step", kind)])
    before = snapshot()
    refused(client.post(url, {"done_on": "2024-03-01"}), before)


@pytest.mark.parametrize("kind", ["huge", "foreign"])
def test_indicator_value_url_id(client, coordinator, world, kind):
    client.force_login(coordinator)
    url = reverse("actions:value_add", args=[SLUG, 4, bad(world, "indicator", kind)])
    before = snapshot()
    refused(client.post(url, {"measured_on": "2024-03-01", "value": "3"}), before)


@pytest.mark.parametrize("number", [HUGE, 0])
def test_sheet_number_in_urls(client, coordinator, seeded, number):
    client.force_login(coordinator)
    for name in ("detail", "edit", "archive"):
        assert client.get(reverse(f"actions:{name}", args=[SLUG, number])).status_code == 404


def test_negative_ids_in_urls_are_not_found(client, coordinator, world):
    client.force_login(coordinator)
    base = reverse("actions:detail", args=[SLUG, 4])
    before = snapshot()
    for path in (f"{base}etapes/-1/terminer/", f"{base}indicateurs/-1/valeurs/", f"{base}-1/"):
        refused(client.post(path, {"done_on": "2024-03-01", "value": "1"}), before)


def test_amounts_grid_ignores_cells_of_other_conventions(client, caf_staff, world):
    client.force_login(caf_staff)
    foreign = world["foreign_amount"]
    data = {
        f"amount-{foreign.line_id}-2024": "1",
        f"amount-{HUGE}-2024": "1",
        "amount--1-2024": "1",
    }
    before = snapshot()
    response = client.post(reverse("funding:amounts", args=[SLUG]), data)
    assert response.status_code == 400  # the grid's own cells cannot be emptied
    assert snapshot() == before
