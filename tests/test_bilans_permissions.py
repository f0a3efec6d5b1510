"""The permission matrix of the bilans pages: members read, a sheet's pilots and the
coordinators fill its review, coordinators (and superusers) validate, reopen and write the
synthesis; the other members get 403 on every write, outsiders 404, anonymous visitors the
login page. Nothing is written by a refused request."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from bilans.models import SheetReview, YearBilan

from .helpers import once

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 16, 10, 0, tzinfo=PARIS), tick=False),
]

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
MANAGERS = {"coordinator", "superuser"}
EDITORS = MANAGERS | {"pilot"}  # of fiche 4
READERS = {"pilot", "other_pilot", "elected", "caf_staff"}

URL_NAMES = {
    "bilans:index",
    "bilans:year",
    "bilans:review",
    "bilans:validate",
    "bilans:reopen",
    "bilans:report_pdf",
    "bilans:report_docx",
    "bilans:report_xlsx",
}


def rule(allowed, get_ok, post_ok, *, back_to_form=False):
    """{persona: (GET, POST)}: `allowed` write (an empty post is refused by the form: 400),
    the other members read (GET `get_ok`) and get 403 on a post."""
    members = MANAGERS | READERS
    expectations = {
        "anonymous": (302, 302),
        "outsider": (302 if back_to_form else 404, 404),
    }
    for persona in members:
        get = 302 if back_to_form else get_ok
        expectations[persona] = (get, post_ok if persona in allowed else 403)
    return expectations


NOT_SERVED = {
    "anonymous": (302, 302),
    "outsider": (404, 405),
    **dict.fromkeys(MANAGERS | READERS, (200, 405)),
}

# name → {persona: (GET, POST)}
MATRIX = {
    "bilans:index": NOT_SERVED,
    "bilans:year": rule(MANAGERS, 200, 400),
    "bilans:review": rule(EDITORS, 200, 400),
    # Posts of forms shown on the review page: a GET goes back to that page.
    "bilans:validate": rule(MANAGERS, 302, 400, back_to_form=True),
    "bilans:reopen": rule(MANAGERS, 302, 400, back_to_form=True),
    # The year's reports (PDF, Word, spreadsheet): read by every member, never posted to.
    "bilans:report_pdf": NOT_SERVED,
    "bilans:report_docx": NOT_SERVED,
    "bilans:report_xlsx": NOT_SERVED,
}


@pytest.fixture
def target(seeded):
    return SheetReview.objects.create(
        sheet=seeded.action_sheets.get(number=4), year=2024, state="submitted"
    )


def url_of(name):
    if name == "bilans:index":
        return reverse(name, args=[SLUG])
    if name == "bilans:year" or name.startswith("bilans:report_"):
        return reverse(name, args=[SLUG, 2024])
    return reverse(name, args=[SLUG, 2024, 4])


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, target, persona, name, method):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = getattr(client, method)(url_of(name))
    get_status, post_status = MATRIX[name][persona]
    assert response.status_code == (get_status if method == "get" else post_status)
    if response.status_code == 302 and persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    # Nothing written by any of them.
    target.refresh_from_db()
    assert (target.state, target.version) == ("submitted", 1)
    assert SheetReview.objects.count() == 1 and not YearBilan.objects.exists()


@pytest.mark.parametrize("persona", ["other_pilot", "elected", "caf_staff"])
def test_valid_posts_of_readers_are_refused_too(request, client, target, persona):
    client.force_login(request.getfixturevalue(persona))
    review = {
        "achievements": "x",
        "difficulties": "",
        "adjustments": "",
        "proposed_status": "",
        "comment": "",
        "version": 1,
        "action": "save",
        "submission": once(),
    }
    assert client.post(url_of("bilans:review"), review).status_code == 403
    state = {"version": 1, "meeting": "", "submission": once()}
    assert client.post(url_of("bilans:validate"), state).status_code == 403
    assert client.post(url_of("bilans:reopen"), state).status_code == 403
    synthesis = {"synthesis": "x", "version": 0, "submission": once()}
    assert client.post(url_of("bilans:year"), synthesis).status_code == 403
    target.refresh_from_db()
    assert (target.state, target.version, target.achievements) == ("submitted", 1, "")
    assert not YearBilan.objects.exists()


def test_caf_level_members_read_but_do_not_write(client, target, caf_level_staff, caf_manager):
    for user in (caf_level_staff, caf_manager):
        client.force_login(user)
        assert client.get(url_of("bilans:review")).status_code == 200
        assert client.get(url_of("bilans:year")).status_code == 200
        assert client.post(url_of("bilans:review"), {}).status_code == 403
    target.refresh_from_db()
    assert target.version == 1


def test_matrix_names_every_url_of_the_module():
    assert set(MATRIX) == URL_NAMES
    from bilans import urls

    assert {f"bilans:{p.name}" for p in urls.urlpatterns} == URL_NAMES
