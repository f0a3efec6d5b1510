"""The permission matrix of the meetings pages: members read, coordinators (and superusers)
create and edit, the other members get 403 on every write, outsiders 404, anonymous visitors
the login page. Nothing is written by a refused request."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from committees.models import Decision, Meeting

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]
MANAGERS = {"coordinator", "superuser"}
READERS = {"pilot", "elected", "caf_staff"}

URL_NAMES = {
    "committees:list",
    "committees:create",
    "committees:detail",
    "committees:edit",
    "committees:decision_add",
    "committees:decision_edit",
    "committees:decision_state",
    "committees:session",
    "committees:session_item",
    "committees:session_decision",
    "committees:session_attendance",
    "committees:minutes_pdf",
    "committees:minutes_docx",
}

# name → {persona: (GET, POST)}. An empty post is refused by the form (400) for a manager.
MATRIX = {
    "committees:list": {
        "anonymous": (302, 302),
        "outsider": (404, 405),
        **dict.fromkeys(MANAGERS | READERS, (200, 405)),
    },
    "committees:detail": {
        "anonymous": (302, 302),
        "outsider": (404, 405),
        **dict.fromkeys(MANAGERS | READERS, (200, 405)),
    },
    "committees:create": {
        "anonymous": (302, 302),
        "outsider": (404, 404),
        **dict.fromkeys(MANAGERS, (200, 400)),
        **dict.fromkeys(READERS, (403, 403)),
    },
    "committees:edit": {
        "anonymous": (302, 302),
        "outsider": (404, 404),
        **dict.fromkeys(MANAGERS, (200, 400)),
        **dict.fromkeys(READERS, (403, 403)),
    },
    "committees:decision_edit": {
        "anonymous": (302, 302),
        "outsider": (404, 404),
        **dict.fromkeys(MANAGERS, (200, 400)),
        **dict.fromkeys(READERS, (403, 403)),
    },
    # Posts of forms shown on the meeting page: a GET goes back to that page (which applies
    # its own rules), before any access check.
    "committees:decision_add": {
        "anonymous": (302, 302),
        "outsider": (302, 404),
        **dict.fromkeys(MANAGERS, (302, 400)),
        **dict.fromkeys(READERS, (302, 403)),
    },
    "committees:decision_state": {
        "anonymous": (302, 302),
        "outsider": (302, 404),
        **dict.fromkeys(MANAGERS, (302, 400)),
        **dict.fromkeys(READERS, (302, 403)),
    },
    # The session mode and the minutes: members read them, coordinators act from the session.
    **{
        name: {
            "anonymous": (302, 302),
            "outsider": (404, 405),
            **dict.fromkeys(MANAGERS | READERS, (200, 405)),
        }
        for name in (
            "committees:session",
            "committees:session_item",
            "committees:minutes_pdf",
            "committees:minutes_docx",
        )
    },
    **{
        name: {
            "anonymous": (302, 302),
            "outsider": (302, 404),
            **dict.fromkeys(MANAGERS, (302, 400)),
            **dict.fromkeys(READERS, (302, 403)),
        }
        for name in ("committees:session_decision", "committees:session_attendance")
    },
}


@pytest.fixture
def target(seeded):
    meeting = Meeting.objects.create(
        convention=seeded,
        title="COPIL",
        starts_at=datetime.datetime(2025, 3, 14, 10, 0, tzinfo=PARIS),
    )
    decision = Decision.objects.create(meeting=meeting, text="Décision")
    return meeting, decision


def url_of(name, meeting, decision):
    slug = meeting.convention.slug
    if name in ("committees:list", "committees:create"):
        return reverse(name, args=[slug])
    if name in ("committees:decision_edit", "committees:decision_state"):
        return reverse(name, args=[slug, meeting.pk, decision.pk])
    if name in (
        "committees:session_item",
        "committees:session_decision",
        "committees:session_attendance",
    ):
        return reverse(name, args=[slug, meeting.pk, 1])
    return reverse(name, args=[slug, meeting.pk])


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, target, persona, name, method):
    meeting, decision = target
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = getattr(client, method)(url_of(name, meeting, decision))
    get_status, post_status = MATRIX[name][persona]
    assert response.status_code == (get_status if method == "get" else post_status)
    if response.status_code == 302 and persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    # Nothing written by any of them.
    assert Meeting.objects.count() == 1 and Decision.objects.count() == 1
    meeting.refresh_from_db()
    decision.refresh_from_db()
    assert meeting.version == 1 and decision.version == 1 and decision.state == "open"


def test_caf_level_members_read_but_do_not_write(client, target, caf_level_staff, caf_manager):
    meeting, decision = target
    for user in (caf_level_staff, caf_manager):
        client.force_login(user)
        assert client.get(url_of("committees:detail", meeting, decision)).status_code == 200
        assert client.get(url_of("committees:edit", meeting, decision)).status_code == 403
        url = url_of("committees:decision_state", meeting, decision)
        assert client.post(url, {"state": "done"}).status_code == 403
    decision.refresh_from_db()
    assert decision.state == "open"


def test_matrix_names_every_url_of_the_module():
    assert set(MATRIX) == URL_NAMES
    from committees import urls

    assert {f"committees:{p.name}" for p in urls.urlpatterns} == URL_NAMES
