"""The session mode: one agenda item per screen (links and keyboard script), the sheets' live
state, steps and latest notes, a decision recorded and attendance marked from it, the guards
and the query counts."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import ActionSheet
from committees.models import AgendaItem, Attendance, Decision, Meeting
from committees.services import changes_since, claim
from conventions.models import Membership

from .factories import PartnerFactory, ProgressNoteFactory, StepFactory, UserFactory
from .test_committees import decision_payload, make_meeting, sheet_of, text

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2025, 3, 14, 10, 30, tzinfo=PARIS)
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]


def session_url(meeting, number=None):
    slug = meeting.convention.slug
    if number is None:
        return reverse("committees:session", args=[slug, meeting.pk])
    return reverse("committees:session_item", args=[slug, meeting.pk, number])


def post_url(name, meeting, number):
    return reverse(f"committees:{name}", args=[meeting.convention.slug, meeting.pk, number])


def add_item(meeting, position, title, sheets=()):
    item = AgendaItem.objects.create(meeting=meeting, position=position, title=title)
    item.sheets.set(sheets)
    return item


@pytest.fixture
def meeting(seeded, coordinator, pilot):
    meeting = make_meeting(seeded)
    add_item(meeting, 1, "Ouverture", [])
    add_item(meeting, 2, "Petite enfance", [sheet_of(seeded, 1), sheet_of(seeded, 2)])
    add_item(meeting, 3, "Jeunesse", [sheet_of(seeded, 3)])
    Attendance.objects.create(meeting=meeting, user=pilot)
    Attendance.objects.create(meeting=meeting, partner=PartnerFactory(name="Mairie de Mazamet"))
    return meeting


def test_first_item_by_default_with_links_and_keyboard_script(client, coordinator, meeting):
    client.force_login(coordinator)
    response = client.get(session_url(meeting))
    assert response.status_code == 200
    page = text(response)
    assert "Point 1 sur 3" in page and "1. Ouverture" in page
    assert f'href="{session_url(meeting, 2)}" rel="next" data-session-key="ArrowRight"' in page
    assert 'rel="prev"' not in page
    assert '<script src="/static/js/session.js" defer></script>' in page
    assert 'href="/static/css/session.css"' in page
    assert "<script>" not in page  # no inline script: the CSP forbids them


@pytest.mark.parametrize(
    ("address", "shown", "previous", "following"),
    [
        ("seance/2/", "2. Petite enfance", 1, 3),
        ("seance/?point=2", "2. Petite enfance", 1, 3),
        ("seance/3/", "3. Jeunesse", 2, None),
        ("seance/?point=99", "3. Jeunesse", 2, None),  # past the end: the last item
        ("seance/?point=abc", "1. Ouverture", None, 2),  # nonsense: the first
        ("seance/?point=-4", "1. Ouverture", None, 2),
    ],
)
def test_any_item_with_its_neighbours(
    client, coordinator, meeting, address, shown, previous, following
):
    client.force_login(coordinator)
    detail = reverse("committees:detail", args=[meeting.convention.slug, meeting.pk])
    response = client.get(detail + address)
    assert response.status_code == 200
    page = text(response)
    assert shown in page
    if previous:
        assert f'href="{session_url(meeting, previous)}" rel="prev"' in page
    else:
        assert 'rel="prev"' not in page
    if following:
        assert f'href="{session_url(meeting, following)}" rel="next"' in page
    else:
        assert 'rel="next"' not in page


def test_item_shows_sheets_status_progress_steps_and_latest_notes(
    client, seeded, coordinator, meeting
):
    sheet = sheet_of(seeded, 1)
    sheet.steps.all().delete()
    sheet.notes.all().delete()
    StepFactory(sheet=sheet, title="Recruter l’animatrice", due_on=datetime.date(2025, 1, 31))
    StepFactory(
        sheet=sheet,
        title="Ouvrir le lieu",
        due_on=datetime.date(2025, 2, 1),
        done_on=datetime.date(2025, 2, 3),
        position=2,
    )
    for day in range(1, 6):
        ProgressNoteFactory(sheet=sheet, written_on=datetime.date(2025, 2, day), text=f"Note {day}")
    client.force_login(coordinator)
    page = text(client.get(session_url(meeting, 2)))
    assert f"Fiche 1 — {sheet.title}" in page
    assert sheet.get_status_display() in page and f"{sheet.progress}\u00a0% réalisé" in page
    assert "Recruter l’animatrice" in page and "(échéance le 31/01/2025)" in page
    assert "Ouvrir le lieu" in page and "(réalisée le 03/02/2025)" in page
    # The three latest notes, the latest first.
    assert [f"Note {day}" in page for day in range(1, 6)] == [False, False, True, True, True]
    assert page.index("Note 5") < page.index("Note 4") < page.index("Note 3")


def test_empty_agenda(client, seeded, coordinator):
    meeting = make_meeting(seeded)
    client.force_login(coordinator)
    response = client.get(session_url(meeting))
    assert response.status_code == 200
    page = text(response)
    assert "Aucun point à l’ordre du jour pour l’instant." in page
    assert 'rel="next"' not in page and 'rel="prev"' not in page


def test_members_read_without_forms(client, pilot, meeting):
    client.force_login(pilot)
    response = client.get(session_url(meeting, 2))
    assert response.status_code == 200
    page = text(response)
    assert "Petite enfance" in page and "Mairie de Mazamet" in page
    assert 'id="decision-form"' not in page and 'name="attendance"' not in page


def test_decision_recorded_from_the_session_changes_the_sheet(client, seeded, coordinator, meeting):
    sheet = sheet_of(seeded, 1)
    version = sheet.version
    client.force_login(coordinator)
    data = decision_payload(
        seeded,
        text="Lancer le relais petite enfance.",
        sheets=[sheet.pk],
        owner=coordinator.pk,
        due_on="2025-06-30",
        new_status=ActionSheet.Status.IN_PROGRESS
        if sheet.status != ActionSheet.Status.IN_PROGRESS
        else ActionSheet.Status.DONE,
    )
    response = client.post(post_url("session_decision", meeting, 2), data)
    assert response.status_code == 302
    assert response["Location"] == session_url(meeting, 2) + "#session-decisions"
    decision = Decision.objects.get()
    assert decision.meeting == meeting and decision.owner == coordinator
    assert decision.due_on == datetime.date(2025, 6, 30) and decision.applied_at is not None
    sheet.refresh_from_db()
    assert sheet.status == data["new_status"] and sheet.version == version + 1
    assert sheet.history.latest().history_change_reason == "décision du COPIL du 14/03/2025"
    page = text(client.get(response["Location"]))
    assert "Décision enregistrée." in page and "Lancer le relais petite enfance." in page
    # The same form sent again writes nothing more.
    again = client.post(post_url("session_decision", meeting, 2), data)
    assert again.status_code == 302
    assert Decision.objects.count() == 1
    sheet.refresh_from_db()
    assert sheet.version == version + 1


def test_decision_form_offers_the_items_sheets(client, seeded, coordinator, meeting):
    client.force_login(coordinator)
    page = text(client.get(session_url(meeting, 3)))
    sheet = sheet_of(seeded, 3)
    assert f'<option value="{sheet.pk}" selected>' in page


def test_decision_refused_when_a_sheet_changed_meanwhile(client, seeded, coordinator, meeting):
    sheet = sheet_of(seeded, 1)
    data = decision_payload(
        seeded, sheets=[sheet.pk], new_status=ActionSheet.Status.ABANDONED, owner=coordinator.pk
    )
    ActionSheet.objects.filter(pk=sheet.pk).update(version=sheet.version + 1)
    client.force_login(coordinator)
    response = client.post(post_url("session_decision", meeting, 2), data)
    assert response.status_code == 409
    assert "rien n’a été enregistré" in text(response)
    assert not Decision.objects.exists()
    sheet.refresh_from_db()
    assert sheet.status != ActionSheet.Status.ABANDONED


def test_invalid_decision_gets_a_french_error(client, seeded, coordinator, meeting):
    client.force_login(coordinator)
    response = client.post(
        post_url("session_decision", meeting, 2), decision_payload(seeded, text="")
    )
    assert response.status_code == 400
    assert "La décision n’a pas été enregistrée" in text(response)
    assert not Decision.objects.exists()


def test_attendance_marked_once(client, coordinator, pilot, meeting):
    row = Attendance.objects.get(meeting=meeting, user=pilot)
    client.force_login(coordinator)
    data = {"attendance": row.pk, "status": Attendance.Status.PRESENT}
    response = client.post(post_url("session_attendance", meeting, 2), data)
    assert response.status_code == 302
    assert response["Location"] == session_url(meeting, 2) + "#session-attendance"
    row.refresh_from_db()
    meeting.refresh_from_db()
    assert row.status == Attendance.Status.PRESENT and meeting.version == 2
    assert meeting.history.latest().history_user == coordinator
    page = text(client.get(response["Location"]))
    assert "présent" in page
    # Sent twice: nothing more written.
    client.post(post_url("session_attendance", meeting, 2), data)
    meeting.refresh_from_db()
    assert meeting.version == 2 and meeting.history.count() == 2


def test_meeting_edit_opened_before_a_mark_meets_a_conflict(client, coordinator, pilot, meeting):
    row = Attendance.objects.get(meeting=meeting, user=pilot)
    client.force_login(coordinator)
    client.post(
        post_url("session_attendance", meeting, 1),
        {"attendance": row.pk, "status": Attendance.Status.EXCUSED},
    )
    entries = changes_since(meeting, 1)
    assert [change.text for entry in entries for change in entry.changes] == [
        "Ordre du jour ou présences modifiés"
    ]
    # The edit form opened on version 1 can no longer claim it: save_meeting refuses it.
    assert not claim(Meeting, meeting.pk, 1)


@pytest.mark.parametrize("forged", ["other_meeting", "missing", "nonsense", "bad_status"])
def test_forged_attendance_refused(client, seeded, coordinator, pilot, meeting, forged):
    other = make_meeting(seeded, title="Autre")
    foreign = Attendance.objects.create(meeting=other, user=pilot)
    mine = Attendance.objects.get(meeting=meeting, user=pilot)
    data = {
        "other_meeting": {"attendance": foreign.pk, "status": "present"},
        "missing": {"attendance": 999999, "status": "present"},
        "nonsense": {"attendance": "x", "status": "present"},
        "bad_status": {"attendance": mine.pk, "status": "dancing"},
    }[forged]
    client.force_login(coordinator)
    response = client.post(post_url("session_attendance", meeting, 1), data)
    assert response.status_code == 400
    assert 'class="alert alert-danger"' in text(response)
    assert set(Attendance.objects.values_list("status", flat=True)) == {"invited"}
    meeting.refresh_from_db()
    other.refresh_from_db()
    assert meeting.version == 1 and other.version == 1


def test_forged_attendance_message_is_french(client, seeded, coordinator, pilot, meeting):
    other = make_meeting(seeded, title="Autre")
    foreign = Attendance.objects.create(meeting=other, user=pilot)
    client.force_login(coordinator)
    response = client.post(
        post_url("session_attendance", meeting, 1), {"attendance": foreign.pk, "status": "present"}
    )
    assert "n’est pas sur la liste des présences de cette réunion" in text(response)


def test_another_conventions_meeting_is_missing(client, coordinator, meeting):
    other = make_meeting(meeting.convention)
    client.force_login(coordinator)
    url = reverse("committees:session", args=["une-autre-convention", other.pk])
    assert client.get(url).status_code == 404


def test_get_on_a_post_address_goes_back_to_the_item(client, coordinator, meeting):
    client.force_login(coordinator)
    response = client.get(post_url("session_decision", meeting, 2))
    assert response.status_code == 302 and response["Location"] == session_url(meeting, 2)


def fill(convention, meetings, items, sheets_per_item, notes):
    """`meetings` meetings, the first with `items` items naming `sheets_per_item` sheets
    each, every sheet with `notes` notes; returns the first meeting."""
    sheets = list(ActionSheet.objects.filter(convention=convention).order_by("number"))
    first = make_meeting(convention)
    for position in range(1, items + 1):
        add_item(first, position, f"Point {position}", sheets[:sheets_per_item])
    for sheet in sheets[:sheets_per_item]:
        for day in range(notes):
            ProgressNoteFactory(sheet=sheet, written_on=datetime.date(2024, 1, 1 + day % 28))
    for number in range(meetings - 1):
        make_meeting(convention, title=f"COTECH {number}", kind=Meeting.Kind.COTECH)
    for _position in range(items):
        person = UserFactory()
        Membership.objects.create(user=person, convention=convention, role=Membership.Role.ELECTED)
        Attendance.objects.create(meeting=first, user=person)
    return first


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow(client, seeded, coordinator):
    client.force_login(coordinator)
    small = fill(seeded, meetings=5, items=2, sheets_per_item=1, notes=1)
    small_count = count_queries(client, session_url(small, 2))
    Meeting.objects.all().delete()
    large = fill(seeded, meetings=200, items=15, sheets_per_item=6, notes=12)
    large_count = count_queries(client, session_url(large, 9))
    assert small_count == large_count
    # The large item's page shows its six sheets with three notes each.
    page = text(client.get(session_url(large, 9)))
    assert page.count("Fiche ") >= 6 and page.count("<blockquote") == 18


# --- concurrent posts, on PostgreSQL ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL")
def test_the_same_mark_posted_twice_at_once_writes_once(seeded, coordinator, superuser, meeting):
    from .helpers import post_together

    row = Attendance.objects.get(meeting=meeting, partner__isnull=False)
    url = post_url("session_attendance", meeting, 1)
    data = {"attendance": row.pk, "status": Attendance.Status.PRESENT}
    responses = post_together([(coordinator, url, data), (superuser, url, data)])
    assert [response.status_code for response in responses] == [302, 302]
    meeting.refresh_from_db()
    assert meeting.version == 2 and meeting.history.count() == 2
    assert Attendance.objects.get(pk=row.pk).status == Attendance.Status.PRESENT


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL")
def test_a_decision_posted_twice_at_once_from_the_session_is_recorded_once(
    seeded, coordinator, meeting
):
    from .helpers import post_together

    sheet = sheet_of(seeded, 3)
    version = sheet.version
    data = decision_payload(seeded, sheets=[sheet.pk], new_status=ActionSheet.Status.BLOCKED)
    url = post_url("session_decision", meeting, 3)
    responses = post_together([(coordinator, url, data), (coordinator, url, data)])
    assert sorted(response.status_code for response in responses) == [302, 302]
    assert Decision.objects.count() == 1
    sheet.refresh_from_db()
    assert sheet.status == ActionSheet.Status.BLOCKED and sheet.version == version + 1
