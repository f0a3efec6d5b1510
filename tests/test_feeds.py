"""The calendar feeds: a person's feed at a secret address (steps due, meetings), the public feed
of a public convention, their HTTP validators, the throttling, the regeneration of the address
on the account page, the permission matrix and the query-count guard."""

import datetime
import logging
import threading
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from actions.models import ActionSheet, Step
from committees.models import Attendance, Decision, Meeting
from conventions.models import Membership
from ctg_portal.models import Submission
from feeds import services
from feeds.models import CalendarFeed, FeedState

from .factories import StepFactory, UserFactory
from .test_committees import make_meeting as committee_meeting

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db

URL_NAMES = {"feeds:personal", "feeds:public", "feeds:regenerate"}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """The throttle counts in the (local-memory) cache: each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def feed_url(user):
    return reverse("feeds:personal", args=[services.feed_of(user).token])


def events_of(response):
    assert response.status_code == 200, response.content
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid(kind, pk):
    return f"{kind}-{pk}@127.0.0.1"


def make_meeting(convention, **fields):
    """test_committees' meeting, in December 2025 (after the suite's date)."""
    fields.setdefault("title", "COPIL de fin d’année")
    fields.setdefault("starts_at", datetime.datetime(2025, 12, 15, 14, 0, tzinfo=PARIS))
    return committee_meeting(convention, **fields)


@pytest.fixture
def plan(seeded):
    """Steps on sheet 1 (piloted by `pilot`) and sheet 5 (not), one done, one without a due
    date, one on an archived sheet; a meeting of the seed convention and one of another."""
    ActionSheet.objects.filter(convention=seeded, number__in=[1, 5, 6]).update(
        status=ActionSheet.Status.IN_PROGRESS, progress=20, archived_at=None
    )
    sheet1 = seeded.action_sheets.get(number=1)
    sheet5 = seeded.action_sheets.get(number=5)
    sheet6 = seeded.action_sheets.get(number=6)
    ActionSheet.objects.filter(pk=sheet6.pk).update(
        archived_at=datetime.datetime(2025, 6, 1, tzinfo=PARIS)
    )
    return {
        "mine": StepFactory(sheet=sheet1, title="Lancer l’appel à projets", due_on=_d(12, 10)),
        "other": StepFactory(sheet=sheet5, title="Réunir les partenaires", due_on=_d(12, 20)),
        "done": StepFactory(sheet=sheet1, due_on=_d(11, 1), done_on=_d(11, 2)),
        "undated": StepFactory(sheet=sheet1, due_on=None),
        "archived": StepFactory(sheet=sheet6, due_on=_d(12, 1)),
        "meeting": make_meeting(seeded),
        "old_meeting": make_meeting(
            seeded, starts_at=datetime.datetime(2025, 1, 10, 10, 0, tzinfo=PARIS)
        ),
    }


def _d(month, day, year=2025):
    return datetime.date(year, month, day)


# --- The personal feed ---------------------------------------------------------------------


def test_the_pilot_gets_the_steps_of_their_sheets_and_the_meetings(client, pilot, plan):
    response = client.get(feed_url(pilot))
    events = events_of(response)
    assert set(events) == {uid("step", plan["mine"].pk), uid("meeting", plan["meeting"].pk)}
    step = events[uid("step", plan["mine"].pk)]
    assert str(step["SUMMARY"]) == "Échéance : Lancer l’appel à projets (fiche 1)"
    assert step.decoded("DTSTART") == _d(12, 10)  # an all-day event
    assert step.decoded("DTEND") == _d(12, 11)
    sheet_url = "http://127.0.0.1:8000" + reverse(
        "actions:detail", args=[plan["meeting"].convention.slug, 1]
    )
    assert str(step["URL"]) == sheet_url
    assert sheet_url in str(step["DESCRIPTION"])
    assert plan["meeting"].convention.title in str(step["DESCRIPTION"])
    assert "DTSTAMP" in step
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["PRODID"]) == "-//CTG Portal//FR"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == f"CTG — {pilot.get_full_name()}"


def test_the_coordinator_gets_every_sheets_steps(client, coordinator, plan):
    events = events_of(client.get(feed_url(coordinator)))
    assert {uid("step", plan["mine"].pk), uid("step", plan["other"].pk)} <= set(events)
    for left_out in ("done", "undated", "archived"):
        assert uid("step", plan[left_out].pk) not in events
    assert uid("meeting", plan["meeting"].pk) in events
    assert uid("meeting", plan["old_meeting"].pk) not in events  # more than six months ago


def test_members_get_the_meetings_and_no_steps(client, elected, caf_staff, plan):
    for user in (elected, caf_staff):
        events = events_of(client.get(feed_url(user)))
        assert set(events) == {uid("meeting", plan["meeting"].pk)}
    meeting = events[uid("meeting", plan["meeting"].pk)]
    assert str(meeting["SUMMARY"]) == "COPIL — COPIL de fin d’année"
    assert str(meeting["LOCATION"]) == "Mairie de Labruguière"
    assert meeting.decoded("DTSTART") == datetime.datetime(2025, 12, 15, 13, 0, tzinfo=datetime.UTC)
    assert meeting.decoded("DTEND") == datetime.datetime(2025, 12, 15, 15, 0, tzinfo=datetime.UTC)
    assert str(meeting["STATUS"]) == "CONFIRMED"
    assert b"DTSTART:20251215T130000Z" in client.get(feed_url(elected)).content


def test_another_conventions_people_get_none_of_its_events(
    client, outsider, other_convention, superuser, caf_level_staff, plan
):
    theirs = make_meeting(other_convention, title="COPIL voisin")
    assert set(events_of(client.get(feed_url(outsider)))) == {uid("meeting", theirs.pk)}
    # Memberships only: a superuser or a CAF's staff is no member of every convention.
    assert events_of(client.get(feed_url(superuser))) == {}
    assert events_of(client.get(feed_url(caf_level_staff))) == {}


def test_uids_are_stable_and_an_edit_moves_sequence_and_last_modified(client, elected, plan):
    url = feed_url(elected)
    first = events_of(client.get(url))
    assert set(events_of(client.get(url))) == set(first)
    meeting = plan["meeting"]
    before = first[uid("meeting", meeting.pk)]
    with time_machine.travel(datetime.datetime(2025, 11, 29, 9, 0, tzinfo=PARIS), tick=False):
        meeting.title = "COPIL de décembre"
        meeting.version += 1
        meeting.save()
        after = events_of(client.get(url))[uid("meeting", meeting.pk)]
    assert str(after["SUMMARY"]) == "COPIL — COPIL de décembre"
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")
    assert after.decoded("LAST-MODIFIED") == datetime.datetime(
        2025, 11, 29, 8, 0, tzinfo=datetime.UTC
    )


def test_a_cancelled_meeting_is_cancelled_in_the_calendar(client, elected, plan):
    Meeting.objects.filter(pk=plan["meeting"].pk).update(state=Meeting.State.CANCELLED)
    event = events_of(client.get(feed_url(elected)))[uid("meeting", plan["meeting"].pk)]
    assert str(event["STATUS"]) == "CANCELLED"


def test_a_member_removed_gets_nothing_of_the_convention(client, pilot, plan):
    url = feed_url(pilot)
    assert events_of(client.get(url))
    Membership.objects.filter(user=pilot).delete()  # still named pilot of sheets 1-4
    assert events_of(client.get(url)) == {}


@pytest.mark.time_machine(datetime.datetime(2026, 2, 1, 10, 0, tzinfo=PARIS), tick=False)
def test_an_ended_conventions_steps_are_left_out(client, coordinator, plan):
    events = events_of(client.get(feed_url(coordinator)))
    assert not [name for name in events if name.startswith("step-")]
    assert uid("meeting", plan["meeting"].pk) in events  # the meetings stay


def test_an_inactive_user_or_an_unknown_token_is_a_plain_french_404(client, pilot, plan):
    url = feed_url(pilot)
    pilot.is_active = False
    pilot.save()
    for address in (url, reverse("feeds:personal", args=["x" * 43]), "/calendrier/%00abc.ics"):
        response = client.get(address)
        assert response.status_code == 404
    response = client.get(url)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Aucun calendrier à cette adresse" in response.content.decode()


def test_a_wrong_token_is_not_written_to_the_logs(client, pilot, caplog):
    token = "Zq" * 20
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get(f"/calendrier/{token}.ics").status_code == 404
        assert client.get(f"/calendrier/{token}").status_code == 404  # no such address
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert all("/calendrier/[masqué]" in message for message in messages)
    assert token not in caplog.text


# --- HTTP ------------------------------------------------------------------------------------


def test_headers_and_conditional_requests(client, pilot, plan):
    url = feed_url(pilot)
    response = client.get(url)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="ctg.ics"'
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["X-Robots-Tag"] == "noindex"
    etag, last_modified = response["ETag"], response["Last-Modified"]
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    not_modified = client.get(url, headers={"if-modified-since": last_modified})
    assert not_modified.status_code == 304
    assert not_modified["ETag"] == etag
    assert client.get(url, headers={"if-none-match": '"other"'}).status_code == 200
    assert client.head(url).status_code == 200


def test_the_etag_and_last_modified_move_when_a_step_changes(client, pilot, plan):
    url = feed_url(pilot)
    first = client.get(url)
    with time_machine.travel(datetime.datetime(2025, 11, 29, 9, 0, tzinfo=PARIS), tick=False):
        step = plan["mine"]
        step.due_on = _d(12, 12)
        step.save()
        changed = client.get(url, headers={"if-none-match": first["ETag"]})
        assert changed.status_code == 200
        assert changed["ETag"] != first["ETag"]
    # A step done leaves the feed: the body changes, and so does Last-Modified, although no
    # event left in the feed changed.
    with time_machine.travel(datetime.datetime(2025, 11, 30, 9, 0, tzinfo=PARIS), tick=False):
        Step.objects.filter(pk=step.pk).update(done_on=_d(11, 30))
        done = client.get(url, headers={"if-modified-since": changed["Last-Modified"]})
        assert done.status_code == 200
        assert done["Last-Modified"] == "Sun, 30 Nov 2025 08:00:00 GMT"
        assert uid("step", step.pk) not in events_of(done)


# --- Regeneration and the account page ------------------------------------------------------


def submission_of(response):
    return response.context["account_sections"][0].context["regenerate_form"]["submission"].value()


def test_the_account_page_shows_the_address_created_on_first_display(client, pilot):
    assert not CalendarFeed.objects.filter(user=pilot).exists()
    client.force_login(pilot)
    page = client.get(reverse("account:home"))
    feed = CalendarFeed.objects.get(user=pilot)
    text = page.content.decode()
    assert f"http://127.0.0.1:8000/calendrier/{feed.token}.ics" in text
    assert 'for="calendar-feed-url"' in text and "readonly" in text
    assert "Calendrier" in text and "Régénérer l’adresse" in text
    client.get(reverse("account:home"))
    assert CalendarFeed.objects.get(user=pilot).token == feed.token  # created once


def test_regeneration_replaces_the_address_at_once(client, pilot, plan):
    client.force_login(pilot)
    page = client.get(reverse("account:home"))
    old_url = feed_url(pilot)
    assert client.get(old_url).status_code == 200
    submission = submission_of(page)
    response = client.post(reverse("feeds:regenerate"), {"submission": submission})
    assert response.status_code == 302 and response["Location"] == reverse("account:home")
    new_url = feed_url(pilot)
    assert new_url != old_url
    assert client.get(old_url).status_code == 404
    assert events_of(client.get(new_url))
    page = client.get(reverse("account:home"))
    assert new_url in page.content.decode()
    assert "la précédente ne fonctionne plus" in page.content.decode()
    # The same submission again (a double click): the address is replaced once.
    client.post(reverse("feeds:regenerate"), {"submission": submission})
    assert feed_url(pilot) == new_url


def test_a_regeneration_without_its_form_token_changes_nothing(client, pilot):
    client.force_login(pilot)
    old_url = feed_url(pilot)
    response = client.post(reverse("feeds:regenerate"), {})
    assert response.status_code == 302
    assert feed_url(pilot) == old_url


# --- The public feed ------------------------------------------------------------------------


def test_the_public_feed_has_the_publishable_meetings_without_names(client, seeded, plan):
    seeded.is_public = True
    seeded.save()
    public = make_meeting(seeded, title="COPIL ouvert", is_public=True, minutes="Relevé secret")
    person = UserFactory(first_name="Zéphyrine", last_name="Quercy-Lamothe")
    Attendance.objects.create(meeting=public, user=person, status=Attendance.Status.PRESENT)
    Decision.objects.create(meeting=public, text="Décider", owner=person)
    url = reverse("feeds:public", args=[seeded.slug])
    response = client.get(url)
    assert set(events_of(response)) == {uid("meeting", public.pk)}
    body = response.content.decode()
    assert "Zéphyrine" not in body and "Quercy" not in body and "Relevé secret" not in body
    assert response["Cache-Control"] == "public, max-age=300"
    assert "X-Robots-Tag" not in response
    assert response["Content-Disposition"] == f'inline; filename="instances-{seeded.slug}.ics"'
    event = events_of(response)[uid("meeting", public.pk)]
    assert str(event["URL"]) == "http://127.0.0.1:8000" + reverse(
        "portal:public", args=[seeded.slug]
    )
    assert client.get(url, headers={"if-none-match": response["ETag"]}).status_code == 304


def test_the_public_feed_of_a_convention_not_public_is_404(client, seeded):
    response = client.get(reverse("feeds:public", args=[seeded.slug]))
    assert response.status_code == 404
    assert client.get(reverse("feeds:public", args=["nulle-part"])).status_code == 404


# --- Throttling -----------------------------------------------------------------------------


def test_the_feeds_are_throttled(client, settings, seeded, pilot):
    settings.FEEDS_THROTTLE = {"personal": 3, "public": 2}
    url = feed_url(pilot)
    assert [client.get(url).status_code for _ in range(3)] == [200] * 3
    refused = client.get(url)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 600
    assert "Trop de requêtes" in refused.content.decode()
    public = reverse("feeds:public", args=[seeded.slug])
    assert [client.get(public).status_code for _ in range(3)] == [404, 404, 429]
    # Many wrong addresses from one client are slowed down too.
    wrong = [client.get(f"/calendrier/{n:043d}.ics").status_code for n in range(4)]
    assert wrong == [404, 404, 404, 429]


# --- Permission matrix ----------------------------------------------------------------------

PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]
# name → {persona: (GET, POST)}. The personal feed's address is the pilot's: no login needed,
# whoever holds it reads it. The seed convention is not public. A regeneration posted without
# its form's token changes nothing and goes back to the account page.
MATRIX = {
    "feeds:personal": {"*": (200, 405)},
    "feeds:public": {"*": (404, 405)},
    "feeds:regenerate": {"anonymous": (302, 302), "*": (302, 302)},
}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, seeded, pilot, persona, name, method):
    token = services.feed_of(pilot).token
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    args = {"feeds:personal": [token], "feeds:public": [seeded.slug]}.get(name, [])
    response = getattr(client, method)(reverse(name, args=args))
    expectations = MATRIX[name]
    get_status, post_status = expectations.get(persona, expectations["*"])
    assert response.status_code == (get_status if method == "get" else post_status)
    if name == "feeds:regenerate":
        expected = reverse("login") if persona == "anonymous" else reverse("account:home")
        assert response["Location"].startswith(expected)
    assert services.feed_of(pilot).token == token  # nothing regenerated


def test_matrix_names_every_url_of_the_module():
    assert set(MATRIX) == URL_NAMES
    from feeds import urls

    assert {f"feeds:{p.name}" for p in urls.urlpatterns} == URL_NAMES


# --- Query count ----------------------------------------------------------------------------


def count_queries(client, url):
    client.get(url)  # the feed's state is written once, on the first answer
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_personal_feed_reads_a_fixed_number_of_queries(client, coordinator, plan):
    url = feed_url(coordinator)
    small = count_queries(client, url)
    seeded = plan["meeting"].convention
    objective = seeded.objectives.first()
    sheets = ActionSheet.objects.bulk_create(
        ActionSheet(convention=seeded, number=100 + n, title=f"Fiche {n}", objective=objective)
        for n in range(284)
    )
    assert seeded.action_sheets.count() == 300
    Step.objects.bulk_create(
        Step(sheet=sheet, title=f"Étape {n}", due_on=_d(12, 1 + n % 28), position=1)
        for n, sheet in enumerate(sheets)
    )
    for n in range(10):  # some with their history
        StepFactory(sheet=sheets[n], due_on=_d(12, 2))
    for n in range(60):
        make_meeting(seeded, starts_at=datetime.datetime(2025, 12, 1 + n % 28, 9, 0, tzinfo=PARIS))
    large = count_queries(client, url)
    events = events_of(client.get(url))
    assert len(events) > 350
    assert large == small


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------


def together(count, call):
    """Run `call(index, client)` in `count` threads released at once, each with its own client
    and database connection; the results, in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        from django.db import connections

        client = Client()
        try:
            barrier.wait()
            results[index] = call(index, client)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_concurrent_first_displays_create_one_feed(pilot):
    def show(index, client):
        client.force_login(pilot)
        return client.get(reverse("account:home")).status_code

    assert together(6, show) == [200] * 6
    assert CalendarFeed.objects.filter(user=pilot).count() == 1


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_a_double_click_regenerates_once(pilot):
    old = services.feed_of(pilot).token

    def post(index, client):
        client.force_login(pilot)
        return client.post(reverse("feeds:regenerate"), {"submission": "s" * 32}).status_code

    assert together(4, post) == [302] * 4
    feed = CalendarFeed.objects.get(user=pilot)
    assert feed.token != old
    assert Submission.objects.filter(token="s" * 32).count() == 1


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_concurrent_first_fetches_of_a_feed_answer_alike(pilot):
    url = feed_url(pilot)
    responses = together(6, lambda index, client: client.get(url))
    assert [r.status_code for r in responses] == [200] * 6
    assert len({r["ETag"] for r in responses}) == 1
    assert FeedState.objects.filter(key=f"user:{pilot.pk}").count() == 1


def test_gunicorn_access_log_masks_the_feed_token():
    """`make run` and the README's deployment log requests with RedactingLogger: a calendar
    address is a credential, never written whole."""
    import datetime as dt
    from types import SimpleNamespace

    from gunicorn.config import Config

    from ctg_portal.gunicorn_logging import RedactingLogger

    logger = RedactingLogger(Config())
    token = "s3cr3t-T0ken_abc"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/calendrier/{token}.ics?x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": f"/calendrier/{token}.ics",
        "QUERY_STRING": "x=1",
        "HTTP_REFERER": f"https://ctg.example.org/calendrier/{token}.ics",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    atoms = logger.atoms(response, [], environ, dt.timedelta(seconds=0))
    written = " ".join(str(atoms[key]) for key in ("r", "U", "f"))
    assert token not in written
    assert "/calendrier/[masqué]" in atoms["U"]
    assert atoms["r"].startswith("GET /calendrier/[masqué]")


def test_the_public_page_links_its_calendar(client, seeded):
    seeded.is_public = True
    seeded.save()
    page = client.get(reverse("portal:public", args=[seeded.slug])).content.decode()
    assert f'href="/public/{seeded.slug}/instances.ics"' in page
    assert "S’abonner au calendrier des instances (iCalendar)" in page
