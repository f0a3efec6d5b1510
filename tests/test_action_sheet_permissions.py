"""The permission matrix of the coordinators' workspace: URL × persona × method → status.

Personas: coordinator, pilot of the sheet (fiche 4), pilot of another sheet (fiche 5 only),
elected official, CAF staff, member of another convention, anonymous, superuser.
"""

import pytest
from django.urls import reverse

from .factories import IndicatorFactory, StepFactory
from .helpers import back_to_form, expected_status, not_served, once, sheet_edit_payload

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
PERSONAS = [
    "coordinator",
    "pilot",
    "other_pilot",
    "elected",
    "caf_staff",
    "outsider",
    "anonymous",
    "superuser",
]
EDITORS = {"coordinator", "pilot", "superuser"}  # of fiche 4
MANAGERS = {"coordinator", "superuser"}
READERS = {"other_pilot", "elected", "caf_staff"}


def members(ok):
    return lambda persona: expected_status(persona, set(PERSONAS), ok)


def only(allowed, ok):
    return lambda persona: expected_status(persona, allowed, ok)


# name → (url builder, GET expectation, POST builder, POST expectation)
def urls(sheet, step, indicator):
    return {
        "list": (reverse("actions:list", args=[SLUG]), members(200), None, not_served),
        "create": (
            reverse("actions:create", args=[SLUG]),
            only(MANAGERS, 200),
            lambda: {"title": ""},  # invalid: the form answers again
            only(MANAGERS, 400),
        ),
        "export": (
            reverse("actions:export", args=[SLUG, "xlsx"]),
            members(200),
            None,
            not_served,
        ),
        "detail": (reverse("actions:detail", args=[SLUG, 4]), members(200), None, not_served),
        "edit": (
            reverse("actions:edit", args=[SLUG, 4]),
            only(EDITORS, 200),
            lambda: sheet_edit_payload(sheet, progress=20),
            only(EDITORS, 302),
        ),
        "archive": (
            reverse("actions:archive", args=[SLUG, 4]),
            only(MANAGERS, 200),
            lambda: {"action": "archive"},
            only(MANAGERS, 302),
        ),
        "note_add": (
            reverse("actions:note_add", args=[SLUG, 4]),
            back_to_form,
            lambda: {
                "text": "Point d’étape",
                "written_on": "2024-03-12",
                "version": 1,
                "submission": once(),
            },
            only(EDITORS, 302),
        ),
        "step_done": (
            reverse("actions:step_done", args=[SLUG, 4, step.pk]),
            back_to_form,
            lambda: {"done_on": "2024-03-12"},
            only(EDITORS, 302),
        ),
        "value_add": (
            reverse("actions:value_add", args=[SLUG, 4, indicator.pk]),
            back_to_form,
            lambda: {
                f"value-{indicator.pk}-measured_on": "2024-03-12",
                f"value-{indicator.pk}-value": "12",
            },
            only(EDITORS, 302),
        ),
    }


URL_NAMES = [
    "list",
    "create",
    "export",
    "detail",
    "edit",
    "archive",
    "note_add",
    "step_done",
    "value_add",
]


@pytest.fixture
def personas(request, seeded):
    return {name: request.getfixturevalue(name) for name in PERSONAS if name != "anonymous"}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url_name", URL_NAMES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(client, personas, seeded, persona, url_name, method):
    sheet = seeded.action_sheets.get(number=4)
    step = StepFactory(sheet=sheet)
    indicator = IndicatorFactory(sheet=sheet)
    if persona != "anonymous":
        client.force_login(personas[persona])
    url, get_expected, payload, post_expected = urls(sheet, step, indicator)[url_name]
    if method == "get":
        response = client.get(url)
        status = get_expected(persona)
    else:
        response = client.post(url, payload() if payload else {})
        status = post_expected(persona)
    assert response.status_code == status, (persona, url_name, method)
    if status == 302 and persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def test_matrix_covers_every_url_of_the_workspace():
    from actions.urls import urlpatterns

    assert {p.name for p in urlpatterns} == set(URL_NAMES)


def test_refused_post_writes_nothing(client, seeded, elected):
    sheet = seeded.action_sheets.get(number=4)
    client.force_login(elected)
    client.post(reverse("actions:edit", args=[SLUG, 4]), sheet_edit_payload(sheet, progress=90))
    client.post(
        reverse("actions:note_add", args=[SLUG, 4]),
        {"text": "x", "written_on": "2024-01-01", "version": 1, "submission": once()},
    )
    sheet.refresh_from_db()
    assert sheet.progress == 0
    assert not sheet.notes.exists()
    assert sheet.history.count() == 1


def test_read_only_members_see_no_edit_buttons(client, seeded, elected, coordinator):
    client.force_login(elected)
    html = client.get(reverse("actions:detail", args=[SLUG, 4])).content.decode()
    assert reverse("actions:edit", args=[SLUG, 4]) not in html
    assert reverse("actions:note_add", args=[SLUG, 4]) not in html
    assert "Archiver" not in html
    html = client.get(reverse("actions:list", args=[SLUG])).content.decode()
    assert reverse("actions:create", args=[SLUG]) not in html
    client.force_login(coordinator)
    html = client.get(reverse("actions:detail", args=[SLUG, 4])).content.decode()
    assert reverse("actions:edit", args=[SLUG, 4]) in html


def test_pilot_sees_edit_only_on_own_sheets(client, seeded, pilot):
    client.force_login(pilot)
    html = client.get(reverse("actions:detail", args=[SLUG, 4])).content.decode()
    assert reverse("actions:edit", args=[SLUG, 4]) in html
    html = client.get(reverse("actions:detail", args=[SLUG, 5])).content.decode()
    assert reverse("actions:edit", args=[SLUG, 5]) not in html
    assert client.get(reverse("actions:edit", args=[SLUG, 5])).status_code == 403


def test_unknown_sheet_or_convention_is_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("actions:detail", args=[SLUG, 99])).status_code == 404
    assert client.get(reverse("actions:list", args=["nope"])).status_code == 404


def test_ids_of_another_convention_are_404(client, seeded, coordinator, other_convention):
    from .factories import ActionSheetFactory

    foreign_sheet = ActionSheetFactory(convention=other_convention)
    foreign_step = StepFactory(sheet=foreign_sheet)
    foreign_indicator = IndicatorFactory(sheet=foreign_sheet)
    client.force_login(coordinator)
    response = client.post(
        reverse("actions:step_done", args=[SLUG, 4, foreign_step.pk]), {"done_on": "2024-01-01"}
    )
    assert response.status_code == 404
    response = client.post(
        reverse("actions:value_add", args=[SLUG, 4, foreign_indicator.pk]),
        {
            f"value-{foreign_indicator.pk}-measured_on": "2024-01-01",
            f"value-{foreign_indicator.pk}-value": "1",
        },
    )
    assert response.status_code == 404
    foreign_step.refresh_from_db()
    assert foreign_step.done_on is None
