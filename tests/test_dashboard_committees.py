"""The committees on the dashboard and the public page (issue 14): members see the next meeting
and the open decisions (the overdue ones flagged); the public page shows publishable meetings
with their decisions (never an owner, attendance or minutes) and publishable documents, whose
files download through a public view; each page reads a fixed number of queries."""

import datetime
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from committees.models import Attendance, Decision, Meeting
from documents import urls_public
from documents.models import Document

from .factories import UserFactory
from .test_documents import finish, make_document
from .test_documents_files import pdf_bytes

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()
SLUG = "thore-montagne-noire-2023-2025"
DASHBOARD = reverse("portal:dashboard", args=[SLUG])
PUBLIC = reverse("portal:public", args=[SLUG])
PUBLICATION = reverse("portal:publication", args=[SLUG])
PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(NOW, tick=False),
]

URL_NAMES = {"public_documents:download"}

# name → {persona: (GET, POST)} for a publishable file of the published seed convention:
# anyone downloads it, logged in or not; nobody posts to it.
MATRIX = {"public_documents:download": dict.fromkeys(PERSONAS, (200, 405))}


def moment(day, hour=10, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


def make_meeting(convention, **fields):
    values = {
        "kind": Meeting.Kind.COPIL,
        "title": "COPIL de printemps",
        "starts_at": moment(datetime.date(2025, 3, 14)),
        "place": "Mairie de Labruguière",
    }
    values.update(fields)
    return Meeting.objects.create(convention=convention, **values)


def make_decision(meeting, **fields):
    values = {"text": "Lancer l’action dès avril.", "state": Decision.State.OPEN}
    values.update(fields)
    return Decision.objects.create(meeting=meeting, **values)


def html_of(response):
    assert response.status_code == 200
    # Spaces collapsed first: \s matches the no-break space the page writes as &nbsp;.
    return re.sub(r"\s+", " ", response.content.decode()).replace("&nbsp;", "\u00a0")


def section(html, element_id, end="</section>"):
    """The HTML of the element `element_id` (a section unless `end` says otherwise)."""
    start = html.index(f'id="{element_id}"')
    return html[start : html.index(end, start)]


def public_download(document, slug=SLUG):
    return reverse("public_documents:download", args=[slug, document.pk])


@pytest.fixture
def owner(seeded):
    return UserFactory(username="responsable", first_name="Gisèle", last_name="Cabrol")


@pytest.fixture
def published(seeded):
    seeded.is_public = True
    seeded.save()
    return seeded


# The members' dashboard: the next meeting


def test_members_see_the_next_meeting_not_a_cancelled_nor_a_past_one(client, seeded, elected):
    make_meeting(seeded, title="COPIL passé", starts_at=moment(datetime.date(2025, 5, 20)))
    make_meeting(
        seeded,
        title="COTECH annulé",
        kind=Meeting.Kind.COTECH,
        starts_at=moment(datetime.date(2025, 6, 5)),
        state=Meeting.State.CANCELLED,
    )
    later = make_meeting(
        seeded, title="COPIL d’automne", starts_at=moment(datetime.date(2025, 10, 2))
    )
    nearest = make_meeting(
        seeded,
        kind=Meeting.Kind.COTECH,
        title="COTECH de juin",
        starts_at=moment(datetime.date(2025, 6, 19), 14, 30),
        place="Salle du conseil",
    )
    client.force_login(elected)
    next_meeting = section(html_of(client.get(DASHBOARD)), "next-meeting")
    assert "Prochaine instance" in next_meeting
    detail = reverse("committees:detail", args=[SLUG, nearest.pk])
    assert f'<a href="{detail}">COTECH du 19/06/2025 — COTECH de juin</a>' in next_meeting
    assert "19/06/2025 à 14 h 30 · Salle du conseil" in next_meeting
    for other in ("COPIL passé", "COTECH annulé", later.title):
        assert other not in next_meeting
    assert reverse("committees:list", args=[SLUG]) in next_meeting


def test_no_meeting_planned_links_to_the_meetings(client, seeded, pilot):
    make_meeting(seeded, starts_at=moment(datetime.date(2025, 3, 14)))
    client.force_login(pilot)
    next_meeting = section(html_of(client.get(DASHBOARD)), "next-meeting")
    assert "Aucune instance prévue." in next_meeting
    assert f'<a href="{reverse("committees:list", args=[SLUG])}">Toutes les instances</a>' in (
        next_meeting
    )


# The members' dashboard: the open decisions


def test_open_decisions_overdue_first_then_by_due_date(
    client, seeded, elected, owner, other_convention
):
    copil = make_meeting(seeded)
    cotech = make_meeting(
        seeded, kind=Meeting.Kind.COTECH, starts_at=moment(datetime.date(2025, 4, 10))
    )
    later = make_decision(copil, text="Relancer les partenaires.", due_on=datetime.date(2025, 9, 1))
    undated = make_decision(cotech, text="Préparer le bilan.")
    overdue = make_decision(
        cotech, text="Signer l’avenant.", owner=owner, due_on=datetime.date(2025, 5, 31)
    )
    sooner = make_decision(
        copil, text="Ouvrir le lieu ressource.", due_on=datetime.date(2025, 6, 2)
    )
    make_decision(copil, text="Décision réalisée", state=Decision.State.DONE)
    make_decision(copil, text="Décision abandonnée", state=Decision.State.ABANDONED)
    make_decision(make_meeting(other_convention), text="Décision d’une autre CTG")

    client.force_login(elected)
    response = client.get(DASHBOARD)
    decisions = section(html_of(response), "open-decisions")
    assert "Décisions ouvertes (4, dont 1 en retard)" in decisions
    shown = [d.pk for d in response.context["dashboard"].steering.open_decisions]
    assert shown == [overdue.pk, sooner.pk, later.pk, undated.pk]
    positions = [decisions.index(d.text) for d in (overdue, sooner, later, undated)]
    assert positions == sorted(positions)
    for hidden in ("Décision réalisée", "Décision abandonnée", "Décision d’une autre CTG"):
        assert hidden not in decisions
    # The overdue one says so in words; the one due today is not overdue yet.
    item = section(decisions, f"open-decision-{overdue.pk}", "</li>")
    assert "en retard" in item and "Signer l’avenant." in item
    assert "Responsable\u00a0: Gisèle Cabrol" in item and "Échéance\u00a0: 31/05/2025" in item
    link = reverse("committees:detail", args=[SLUG, cotech.pk]) + f"#decision-{overdue.pk}"
    assert f'<a href="{link}">COTECH du 10/04/2025</a>' in item
    assert decisions.count("en retard") == 2  # the title and the one overdue decision
    item = section(decisions, f"open-decision-{undated.pk}", "</li>")
    assert "Responsable\u00a0: —" in item and "Échéance\u00a0: —" in item


def test_an_open_decision_becomes_overdue_after_its_due_date(client, seeded, elected, time_machine):
    make_decision(make_meeting(seeded), text="Signer l’avenant.", due_on=datetime.date(2025, 6, 2))
    client.force_login(elected)
    decisions = section(html_of(client.get(DASHBOARD)), "open-decisions")
    assert "Décisions ouvertes (1)" in decisions and "en retard" not in decisions
    time_machine.move_to(datetime.datetime(2025, 6, 3, 9, 0, tzinfo=PARIS), tick=False)
    client.force_login(elected)  # a new session: the day before's has expired
    decisions = section(html_of(client.get(DASHBOARD)), "open-decisions")
    assert "Décisions ouvertes (1, dont 1 en retard)" in decisions
    assert '<span class="badge text-bg-danger">en retard</span> Signer l’avenant.' in decisions


def test_the_first_open_decisions_are_listed_and_the_rest_counted(client, seeded, elected):
    meeting = make_meeting(seeded)
    for number in range(11):
        make_decision(meeting, text=f"Décision {number:02d}", due_on=datetime.date(2025, 7, 1))
    client.force_login(elected)
    decisions = section(html_of(client.get(DASHBOARD)), "open-decisions")
    assert "Décisions ouvertes (11)" in decisions
    assert "Décision 07" in decisions and "Décision 08" not in decisions
    assert "Et 3 autres décisions ouvertes." in decisions
    assert reverse("committees:list", args=[SLUG]) in decisions


def test_no_open_decision(client, seeded, elected):
    make_decision(make_meeting(seeded), state=Decision.State.DONE)
    client.force_login(elected)
    decisions = section(html_of(client.get(DASHBOARD)), "open-decisions")
    assert "Aucune décision ouverte." in decisions
    assert ">Décisions ouvertes</h2>" in decisions


# The public page and its preview


@pytest.fixture
def public_data(published, owner, pilot, other_convention):
    """Publishable and internal meetings, decisions and documents of the seed convention."""
    upcoming = make_meeting(
        published,
        title="COPIL d’automne",
        starts_at=moment(datetime.date(2025, 10, 2), 14, 0),
        place="Mairie de Labruguière",
        is_public=True,
    )
    past = make_meeting(
        published,
        kind=Meeting.Kind.COTECH,
        title="COTECH de printemps",
        minutes="Compte rendu interne : débat confidentiel.",
        is_public=True,
    )
    Attendance.objects.create(meeting=past, user=pilot, status=Attendance.Status.PRESENT)
    make_decision(
        past,
        text="Ouvrir le lieu ressource.",
        owner=owner,
        due_on=datetime.date(2025, 5, 1),
    )
    make_decision(past, text="Créer le guide des familles.", state=Decision.State.DONE)
    internal = make_meeting(
        published, title="Réunion interne", starts_at=moment(datetime.date(2025, 4, 1))
    )
    make_decision(internal, text="Décision interne confidentielle.", owner=owner)
    cancelled = make_meeting(
        published,
        title="COPIL annulé",
        starts_at=moment(datetime.date(2025, 9, 1)),
        state=Meeting.State.CANCELLED,
        is_public=True,
    )
    make_decision(cancelled, text="Décision d’une instance annulée.")
    documents = {
        "file": make_document(published, title="Convention signée", publishable=True),
        "link": Document.objects.create(
            convention=published,
            kind=Document.Kind.DIAGNOSTIC,
            title="Diagnostic partagé",
            date=datetime.date(2024, 1, 15),
            url="https://example.org/diagnostic",
            publishable=True,
        ),
        "internal": make_document(published, title="Note interne"),
        "deleted": make_document(
            published, title="Document supprimé", publishable=True, deleted_at=NOW
        ),
        "other": make_document(
            other_convention, title="Document d’une autre CTG", publishable=True
        ),
    }
    return {"upcoming": upcoming, "past": past, "documents": documents}


FORBIDDEN_ON_PUBLIC = [
    "Réunion interne",
    "Décision interne confidentielle.",
    "COPIL annulé",
    "Décision d’une instance annulée.",
    "débat confidentiel",
    "Gisèle",
    "Cabrol",
    "responsable",
    "Note interne",
    "Document supprimé",
    "Document d’une autre CTG",
    "Responsable",
    "Prochaine instance",
    "Décisions ouvertes",
]


@pytest.mark.parametrize("page", ["public", "preview"])
def test_the_public_page_shows_only_publishable_things_and_no_names(
    client, public_data, coordinator, pilot, page
):
    if page == "preview":
        client.force_login(coordinator)
        html = html_of(client.get(PUBLICATION))
    else:
        html = html_of(client.get(PUBLIC))
    meetings = section(html, "public-meetings")
    assert "Instances de pilotage" in meetings
    assert "Instances à venir" in meetings and "Instances passées" in meetings
    assert "COPIL — COPIL d’automne" in meetings and "02/10/2025 à 14 h 00" in meetings
    assert "COTECH — COTECH de printemps" in meetings and "14/03/2025 à 10 h 00" in meetings
    assert meetings.index("COPIL d’automne") < meetings.index("COTECH de printemps")
    assert "Ouvrir le lieu ressource." in meetings and "(échéance le 01/05/2025)" in meetings
    assert "Créer le guide des familles." in meetings and "réalisée" in meetings
    assert "ouverte" in meetings and "en retard" in meetings
    documents = section(html, "public-documents")
    file_url = public_download(public_data["documents"]["file"])
    assert f'<a href="{file_url}" download>Convention signée</a>' in documents
    assert "délibération, 14/03/2024, PDF" in documents
    assert (
        '<a href="https://example.org/diagnostic" rel="noopener noreferrer nofollow">'
        "Diagnostic partagé</a>" in documents
    )
    assert "diagnostic, 15/01/2024" in documents
    # Nothing of an internal or cancelled meeting, no owner, attendee or minutes, no internal,
    # deleted or foreign document, nothing of the members' part.
    public_part = html[html.index('<h1 class="h2 mb-0">') : html.index("</main>")]
    for text in FORBIDDEN_ON_PUBLIC:
        assert text not in public_part, text
    assert pilot.get_full_name() not in public_part
    assert reverse("committees:list", args=[SLUG]) not in public_part


def test_the_public_page_shows_the_latest_publishable_meetings_only(client, published):
    for day in range(1, 8):
        make_meeting(
            published,
            title=f"COTECH passé {day}",
            starts_at=moment(datetime.date(2025, 5, day)),
            is_public=True,
        )
        make_meeting(
            published,
            title=f"COTECH à venir {day}",
            starts_at=moment(datetime.date(2025, 7, day)),
            is_public=True,
        )
    meetings = section(html_of(client.get(PUBLIC)), "public-meetings")
    assert [f"COTECH passé {day}" in meetings for day in range(1, 8)] == [False] * 2 + [True] * 5
    assert [f"COTECH à venir {day}" in meetings for day in range(1, 8)] == [True] * 5 + [False] * 2
    # The upcoming soonest first, the past latest first.
    assert meetings.index("COTECH à venir 1") < meetings.index("COTECH à venir 5")
    assert meetings.index("COTECH passé 7") < meetings.index("COTECH passé 3")


def test_a_public_page_without_meeting_nor_document_says_so(client, published):
    make_meeting(published, title="Réunion interne")
    html = html_of(client.get(PUBLIC))
    assert "Aucune instance publiée." in section(html, "public-meetings")
    assert "Aucun document publié." in section(html, "public-documents")
    assert "Réunion interne" not in html


def test_the_members_part_is_never_computed_for_the_public(client, published):
    response = client.get(PUBLIC)
    with pytest.raises(ValueError, match="owner"):
        response.context["dashboard"].steering  # noqa: B018


# The public download


def test_a_publishable_file_downloads_with_the_private_download_headers(
    client, public_data, elected
):
    document = public_data["documents"]["file"]
    response = client.get(public_download(document))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="Deliberation n_3.pdf"; '
        "filename*=UTF-8''D%C3%A9lib%C3%A9ration%20n%C2%B03.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(response.streaming_content) == pdf_bytes()
    # The members' download of the same file answers the same headers.
    client.force_login(elected)
    private = client.get(reverse("documents:download", args=[SLUG, document.pk]))
    finish(private)
    for header in ("Content-Type", "Content-Disposition", "X-Content-Type-Options"):
        assert private[header] == response[header]
    assert private["Content-Security-Policy"] == response["Content-Security-Policy"]


def not_found(client, url):
    response = client.get(url)
    finish(response)
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
    return response


@pytest.mark.parametrize("case", ["internal", "deleted", "link", "other", "missing"])
def test_anything_but_a_publishable_file_is_missing(client, public_data, case):
    if case == "missing":
        url = reverse("public_documents:download", args=[SLUG, 999999])
    else:
        url = public_download(public_data["documents"][case])
    not_found(client, url)


def test_a_document_of_another_public_convention_is_missing_under_this_slug(
    client, public_data, other_convention
):
    other_convention.is_public = True
    other_convention.save()
    document = public_data["documents"]["other"]
    not_found(client, public_download(document))
    # Under its own convention's slug, it downloads.
    response = client.get(public_download(document, other_convention.slug))
    finish(response)
    assert response.status_code == 200


def test_nothing_downloads_once_the_page_is_withdrawn(client, public_data, coordinator):
    url = public_download(public_data["documents"]["file"])
    finish(client.get(url))
    client.force_login(coordinator)
    client.post(PUBLICATION, {"action": "unpublish"})
    client.logout()
    not_found(client, url)
    # Not even a member gets it through the public address.
    client.force_login(coordinator)
    assert client.get(url).status_code == 404


# The permission matrix of the public download (tests/test_url_matrix.py checks the coverage)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, public_data, persona, name, method):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = getattr(client, method)(public_download(public_data["documents"]["file"]))
    finish(response)
    get_status, post_status = MATRIX[name][persona]
    assert response.status_code == (get_status if method == "get" else post_status)
    assert Document.all_objects.count() == 5  # nothing written


@pytest.mark.parametrize("case", ["internal", "deleted", "link", "other"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix_of_what_is_not_publishable(request, client, public_data, persona, case):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = client.get(public_download(public_data["documents"][case]))
    finish(response)
    assert response.status_code == 404


def test_matrix_names_every_url_of_the_module():
    assert set(MATRIX) == URL_NAMES
    assert {f"public_documents:{p.name}" for p in urls_public.urlpatterns} == URL_NAMES


# Fixed numbers of queries


def add_steering(convention, count, owners):
    """`count` meetings (half upcoming, half past, all publishable), one open decision each
    (a third overdue) with an owner, and `count` publishable documents (links)."""
    meetings = Meeting.objects.bulk_create(
        Meeting(
            convention=convention,
            kind=Meeting.Kind.COTECH,
            title=f"COTECH {n}",
            starts_at=NOW + datetime.timedelta(days=n - count // 2),
            is_public=True,
        )
        for n in range(count)
    )
    Decision.objects.bulk_create(
        Decision(
            meeting=meeting,
            text=f"Décision {n}",
            owner=owners[n % len(owners)],
            due_on=TODAY + datetime.timedelta(days=(n % 3) - 1),
        )
        for n, meeting in enumerate(meetings)
    )
    Document.objects.bulk_create(
        Document(
            convention=convention,
            kind=Document.Kind.MINUTES,
            title=f"Compte rendu {n}",
            date=TODAY - datetime.timedelta(days=n),
            url=f"https://example.org/{n}",
            publishable=True,
        )
        for n in range(count)
    )


def test_dashboard_query_count_does_not_grow(client, seeded, elected, django_assert_num_queries):
    owners = [UserFactory() for _n in range(5)]
    add_steering(seeded, 5, owners)
    client.force_login(elected)
    with CaptureQueriesContext(connection) as small:
        response = client.get(DASHBOARD)
    steering = response.context["dashboard"].steering
    assert steering.open_count == 5 and steering.next_meeting is not None

    owners += [UserFactory() for _n in range(50)]
    add_steering(seeded, 195, owners)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(DASHBOARD)
    steering = response.context["dashboard"].steering
    assert steering.open_count == 200 and len(steering.open_decisions) == 8
    assert steering.overdue_count > 60


def test_public_page_query_count_does_not_grow(client, published, django_assert_num_queries):
    owners = [UserFactory() for _n in range(5)]
    add_steering(published, 5, owners)
    make_document(published, title="Convention signée", publishable=True)
    with CaptureQueriesContext(connection) as small:
        response = client.get(PUBLIC)
    assert response.context["dashboard"].public_steering.upcoming

    add_steering(published, 195, owners)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(PUBLIC)
    public = response.context["dashboard"].public_steering
    assert len(public.upcoming) == len(public.past) == 5 and public.more_documents
    assert "Les 30 derniers documents seulement." in response.content.decode()
