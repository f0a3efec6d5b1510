"""E-mail reminders (issue 13): the weekly digest of `send_reminders` (with the open decisions
each member owns, issue 14) and the e-mail to a pilot newly named on a sheet."""

import datetime
import io
import smtplib
import zoneinfo

import pytest
import time_machine
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import NotificationSettings, SentNotification
from accounts.notifications import muted
from actions.models import ActionSheet
from actions.notifications import tell_new_pilots
from committees.models import Decision, Meeting
from conventions.models import Membership
from operations import reminders

from .factories import (
    ActionSheetFactory,
    ConventionFactory,
    MembershipFactory,
    ProgressNoteFactory,
    StepFactory,
    UserFactory,
)
from .helpers import sheet_edit_payload

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
BASE = "https://ctg.example.org"
D = datetime.date
MONDAY = D(2025, 6, 2)  # ISO week 2025-W23
RECENT = D(2025, 5, 20)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 2, 7, 0, tzinfo=PARIS), tick=False),
]


@pytest.fixture(autouse=True)
def portal(settings):
    settings.PORTAL_BASE_URL = BASE
    settings.REMINDERS_WEEKDAY = 1  # Monday


def person(username, convention=None, role=None, **fields):
    fields.setdefault("email", f"{username}@example.org")
    user = UserFactory(username=username, **fields)
    if convention is not None:
        MembershipFactory(user=user, convention=convention, role=role)
    return user


def run(*args):
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def world():
    """A convention in its period, a coordinator and a pilot, and sheets of every kind."""
    convention = ConventionFactory(title="CTG des Deux Rives", slug="deux-rives")
    coordinator = person(
        "coord", convention, Membership.Role.COORDINATOR, first_name="Camille", last_name="Roux"
    )
    pilot = person("pil", convention, Membership.Role.PILOT, first_name="Paul", last_name="Vidal")

    def sheet(number, title, pilots=(), note=RECENT, **fields):
        created = ActionSheetFactory(convention=convention, number=number, title=title, **fields)
        created.pilots.add(*pilots)
        if note:
            ProgressNoteFactory(sheet=created, written_on=note)
        return created

    main = sheet(1, "Relais petite enfance", [pilot])
    StepFactory(sheet=main, title="Réunion des assistantes", due_on=D(2025, 6, 12))  # 10 days
    StepFactory(sheet=main, title="Bilan d’étape", due_on=D(2025, 6, 22))  # 20 days: not yet
    StepFactory(sheet=main, title="Enquête auprès des familles", due_on=D(2025, 5, 20))  # late
    StepFactory(sheet=main, title="Étape déjà faite", due_on=D(2025, 5, 1), done_on=D(2025, 4, 30))
    sheet(2, "Accueil de loisirs", [pilot], note=D(2025, 2, 22))  # last note 100 days ago
    other = sheet(3, "Jeunesse", [])
    StepFactory(sheet=other, title="Forum jeunesse", due_on=D(2025, 6, 3))
    archived = sheet(
        4, "Fiche archivée", [pilot], note=None, archived_at=datetime.datetime.now(PARIS)
    )
    StepFactory(sheet=archived, title="Étape d’une archivée", due_on=D(2025, 5, 2))
    done = sheet(5, "Fiche terminée", [pilot], note=None, status=ActionSheet.Status.DONE)
    StepFactory(sheet=done, title="Étape d’une terminée", due_on=D(2025, 5, 2))
    sheet(6, "Fiche abandonnée", [pilot], note=None, status=ActionSheet.Status.ABANDONED)
    return {"convention": convention, "coordinator": coordinator, "pilot": pilot}


def digest_of(user, day=MONDAY):
    found = [d for d in reminders.digests(day) if d.user.pk == user.pk]
    return found[0] if found else None


def titles(section):
    return [item.step_title or item.sheet_title for item in section.items]


# What a digest holds


def test_pilot_digest_holds_their_late_and_coming_steps_and_silent_sheets(world):
    digest = digest_of(world["pilot"])
    [part] = digest.conventions
    assert part.convention == world["convention"]
    assert titles(part.late) == ["Enquête auprès des familles"]
    assert titles(part.upcoming) == ["Réunion des assistantes"]  # 20 days ahead: not yet
    assert titles(part.silent) == ["Accueil de loisirs"]
    assert part.silent.items[0].last_note_on == D(2025, 2, 22)
    assert part.late.items[0].url == f"{BASE}/conventions/deux-rives/fiches/1/"


def test_coordinator_digest_holds_every_sheet_of_the_convention(world):
    [part] = digest_of(world["coordinator"]).conventions
    assert titles(part.late) == ["Enquête auprès des familles"]
    assert titles(part.upcoming) == ["Forum jeunesse", "Réunion des assistantes"]
    assert titles(part.silent) == ["Accueil de loisirs"]


def test_a_sheet_never_noted_is_silent(world):
    sheet = ActionSheetFactory(convention=world["convention"], number=7, title="Sans note")
    sheet.pilots.add(world["pilot"])
    [part] = digest_of(world["pilot"]).conventions
    assert titles(part.silent) == ["Accueil de loisirs", "Sans note"]
    assert part.silent.items[1].last_note_on is None


def test_nothing_to_say_no_digest(world):
    quiet = person("quiet", world["convention"], Membership.Role.PILOT)
    fine = ActionSheetFactory(convention=world["convention"], number=8)
    fine.pilots.add(quiet)
    ProgressNoteFactory(sheet=fine, written_on=D(2025, 5, 30))
    StepFactory(sheet=fine, due_on=D(2025, 7, 30))
    assert digest_of(quiet) is None
    run()
    assert "quiet@example.org" not in {m.to[0] for m in mail_sent()}


def mail_sent():
    from django.core import mail

    return mail.outbox


def test_other_roles_and_strangers_get_nothing(world):
    person("elu", world["convention"], Membership.Role.ELECTED)
    person("agent", world["convention"], Membership.Role.CAF_STAFF)
    # A former pilot: still named on a sheet, no membership any more.
    former = person("former")
    ActionSheet.objects.get(number=1).pilots.add(former)
    assert {d.user.username for d in reminders.digests(MONDAY)} == {"coord", "pil"}


def test_a_pilot_is_told_only_of_conventions_where_they_pilot_now(world):
    other = ConventionFactory(slug="autre")
    elsewhere = ActionSheetFactory(convention=other, number=1, title="Ailleurs")
    elsewhere.pilots.add(world["pilot"])
    MembershipFactory(user=world["pilot"], convention=other, role=Membership.Role.ELECTED)
    assert [p.convention for p in digest_of(world["pilot"]).conventions] == [world["convention"]]


def test_conventions_whose_period_is_over_are_left_out(world):
    world["convention"].end_year = 2024
    world["convention"].start_year = 2022
    world["convention"].save()
    assert reminders.digests(MONDAY) == []


def test_long_sections_are_capped_with_a_link_to_the_list(world):
    crowded = ActionSheet.objects.get(number=1)
    for index in range(25):
        StepFactory(sheet=crowded, title=f"Retard {index}", due_on=D(2025, 5, 1))
    [part] = digest_of(world["pilot"]).conventions
    assert part.late.total == 26 and len(part.late.items) == reminders.SECTION_LIMIT
    assert part.late.more == 6
    pilot_pk = world["pilot"].pk
    assert (
        part.late.more_url == f"{BASE}/conventions/deux-rives/fiches/?retard=on&pilote={pilot_pk}"
    )
    run()
    [message] = [m for m in mail_sent() if m.to == ["pil@example.org"]]
    assert "Et 6 autres" in message.body
    assert part.late.more_url in message.body
    assert message.body.count("Retard ") == reminders.SECTION_LIMIT  # due first


# The e-mail


def test_digest_email_is_french_with_absolute_links(world, mailoutbox):
    output = run()
    assert "2 e-mails envoyés (semaine 2025-W23)." in output
    message = next(m for m in mailoutbox if m.to == ["pil@example.org"])
    assert message.subject == "Vos rappels de la semaine sur le portail CTG"
    assert "Bonjour Paul Vidal," in message.body
    assert "Étapes en retard (1)" not in message.body  # singular
    assert "Étape en retard (1)" in message.body
    assert "échéance le 20/05/2025" in message.body
    assert "Enquête auprès des familles" in message.body  # not escaped in the text part
    assert "Bilan d’étape" not in message.body
    assert f"{BASE}/conventions/deux-rives/fiches/1/" in message.body
    assert "dernière note le 22/02/2025" in message.body
    assert f"{BASE}/compte/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{BASE}/conventions/deux-rives/fiches/2/"' in html
    assert f'href="{BASE}/compte/"' in html
    assert "Bonjour Paul Vidal," in html


def test_running_twice_the_same_day_sends_nothing_twice(world, mailoutbox):
    run()
    assert len(mailoutbox) == 2
    output = run()
    assert len(mailoutbox) == 2
    assert "0 e-mail envoyé (semaine 2025-W23)." in output
    assert SentNotification.objects.filter(kind="weekly_digest", key="2025-W23").count() == 2


def test_a_missed_day_sends_later_in_the_week_once(world, mailoutbox):
    with time_machine.travel(datetime.datetime(2025, 6, 4, 7, 0, tzinfo=PARIS), tick=False):
        run()  # Wednesday: Monday's cron did not run
    assert len(mailoutbox) == 2
    with time_machine.travel(datetime.datetime(2025, 6, 8, 7, 0, tzinfo=PARIS), tick=False):
        run()  # Sunday, same week
    assert len(mailoutbox) == 2
    with time_machine.travel(datetime.datetime(2025, 6, 9, 7, 0, tzinfo=PARIS), tick=False):
        run()  # next Monday: a new week
    assert len(mailoutbox) == 4


def test_nothing_before_the_configured_weekday(world, mailoutbox, settings):
    settings.REMINDERS_WEEKDAY = 5  # Friday
    output = run()
    assert mailoutbox == []
    assert "Pas de récapitulatif aujourd’hui : il part le vendredi" in output
    run("--date", "2025-06-06")
    assert len(mailoutbox) == 2
    assert SentNotification.objects.filter(key="2025-W23").count() == 2


def test_date_option_refuses_a_bad_date_in_french(world):
    with pytest.raises(CommandError, match="Indiquez la date au format AAAA-MM-JJ"):
        run("--date", "06/06/2025")


def test_turned_off_gets_nothing(world, mailoutbox):
    NotificationSettings.objects.create(user=world["pilot"], weekly_digest=False)
    run()
    assert [m.to for m in mailoutbox] == [["coord@example.org"]]


@pytest.mark.parametrize("change", ["pending", "inactive", "no_address"])
def test_who_cannot_be_reached_gets_nothing(world, mailoutbox, change):
    pilot = world["pilot"]
    if change == "pending":  # invited, no password chosen yet
        pilot.set_unusable_password()
    elif change == "inactive":
        pilot.is_active = False
    else:
        pilot.email = ""
    pilot.save()
    run()
    assert [m.to for m in mailoutbox] == [["coord@example.org"]]


def test_dry_run_prints_and_sends_nothing(world, mailoutbox):
    output = run("--dry-run")
    assert mailoutbox == []
    assert not SentNotification.objects.exists()
    assert "Simulation : rien n’est envoyé ni enregistré." in output
    assert (
        "pil@example.org — 1 étape en retard, 1 étape à échéance sous 14 jours, "
        "1 fiche sans note depuis 90 jours, 0 décision ouverte — CTG des Deux Rives (pilote)"
    ) in output
    assert "coord@example.org — 1 étape en retard, 2 étapes à échéance" in output
    assert "2 e-mails seraient envoyés (semaine 2025-W23)." in output
    run()
    assert len(mailoutbox) == 2  # the dry run claimed nothing


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("le serveur a fermé la connexion")


def test_a_failed_send_records_nothing_and_the_next_run_sends(world, settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    with pytest.raises(CommandError, match="2 e-mails n’ont pas pu être envoyés"):
        run()
    assert not SentNotification.objects.exists()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    run()
    assert len(mailoutbox) == 2


def test_a_digest_claimed_meanwhile_is_not_sent(world, mailoutbox):
    digests = reminders.digests(MONDAY)
    SentNotification.objects.create(
        user=world["pilot"], kind=SentNotification.Kind.WEEKLY_DIGEST, key="2025-W23"
    )
    outcomes = [reminders.send_digest(d, MONDAY)[0] for d in digests]
    assert sorted(outcomes) == ["sent", "taken"]
    assert [m.to for m in mailoutbox] == [["coord@example.org"]]


# Decisions they own


COPIL_DAY = D(2025, 3, 14)


def meeting_of(convention, kind=Meeting.Kind.COPIL, day=COPIL_DAY):
    starts_at = datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=PARIS)
    return Meeting.objects.create(
        convention=convention, kind=kind, title="Comité", starts_at=starts_at
    )


def decide(meeting, text, owner, due_on=None, state=Decision.State.OPEN):
    return Decision.objects.create(
        meeting=meeting, text=text, owner=owner, due_on=due_on, state=state
    )


@pytest.fixture
def steering(world):
    """Decisions of two meetings of the convention: the pilot's open ones (one overdue, one
    without a due date), done and abandoned ones, the coordinator's, an unowned one."""
    copil = meeting_of(world["convention"])
    cotech = meeting_of(world["convention"], Meeting.Kind.COTECH, D(2025, 4, 10))
    pilot, coordinator = world["pilot"], world["coordinator"]
    decisions = {
        "later": decide(cotech, "Réunir les familles", pilot, D(2025, 6, 30)),
        "undated": decide(copil, "Étudier un second relais", pilot),
        "overdue": decide(copil, "Lancer l’enquête", pilot, D(2025, 5, 20)),
        "soon": decide(copil, "Recruter l’animatrice", pilot, D(2025, 6, 10)),
        "done": decide(copil, "Décision réalisée", pilot, D(2025, 5, 1), Decision.State.DONE),
        "dropped": decide(
            copil, "Décision abandonnée", pilot, D(2025, 5, 1), Decision.State.ABANDONED
        ),
        "coordinator": decide(cotech, "Préparer le bilan", coordinator, D(2025, 9, 1)),
        "unowned": decide(cotech, "Sans responsable", None, D(2025, 5, 1)),
    }
    return {**world, "copil": copil, "cotech": cotech, "decisions": decisions}


def decision_url(decision):
    meeting = decision.meeting
    page = f"{BASE}/conventions/{meeting.convention.slug}/instances/{meeting.pk}/"
    return f"{page}#decision-{decision.pk}"


def test_owner_is_told_their_open_decisions_overdue_first_undated_last(steering):
    [part] = digest_of(steering["pilot"]).conventions
    items = part.decisions.items
    assert [item.text for item in items] == [
        "Lancer l’enquête",
        "Recruter l’animatrice",
        "Réunir les familles",
        "Étudier un second relais",
    ]  # not the done nor the abandoned ones, nor the coordinator's
    assert [item.is_overdue for item in items] == [True, False, False, False]
    assert [item.due_on for item in items] == [D(2025, 5, 20), D(2025, 6, 10), D(2025, 6, 30), None]
    assert [item.meeting.label for item in items] == [
        "COPIL du 14/03/2025",
        "COPIL du 14/03/2025",
        "COTECH du 10/04/2025",
        "COPIL du 14/03/2025",
    ]
    assert items[0].url == decision_url(steering["decisions"]["overdue"])
    assert part.decisions.total == 4 and part.overdue_decisions == 1
    assert titles(part.late) == ["Enquête auprès des familles"]  # the sheets still told
    [part] = digest_of(steering["coordinator"]).conventions
    assert [item.text for item in part.decisions.items] == ["Préparer le bilan"]


def test_decision_texts_are_shortened(steering):
    long_text = "Mettre en place un comité des usagers " * 6
    decide(steering["copil"], long_text, steering["pilot"], D(2025, 7, 1))
    [part] = digest_of(steering["pilot"]).conventions
    [item] = [i for i in part.decisions.items if i.text.startswith("Mettre en place")]
    assert len(item.text) == 80 and item.text.endswith("…")
    assert long_text.strip() not in item.text


def test_digest_email_tells_the_decisions_with_overdue_flag_and_links(steering, mailoutbox):
    run()
    message = next(m for m in mailoutbox if m.to == ["pil@example.org"])
    body = message.body
    assert (
        "Voici ce qui demande votre attention sur les fiches actions que vous suivez et les "
        "décisions dont vous êtes responsable."
    ) in body
    assert "Vous êtes responsable de 4 décisions ouvertes (1 échue)." in body
    assert "Décisions à mettre en œuvre (4) :" in body
    assert (
        "- échéance le 20/05/2025 (échue) — « Lancer l’enquête » — COPIL du 14/03/2025\n"
        f"  {decision_url(steering['decisions']['overdue'])}\n"
    ) in body
    assert "- échéance le 10/06/2025 — « Recruter l’animatrice » — COPIL du 14/03/2025" in body
    assert "- sans échéance — « Étudier un second relais » — COPIL du 14/03/2025" in body
    assert f"{decision_url(steering['decisions']['later'])}" in body
    assert body.index("Lancer l’enquête") < body.index("Réunir les familles")
    assert body.index("Réunir les familles") < body.index("Étudier un second relais")
    for absent in ("Décision réalisée", "Décision abandonnée", "Préparer le bilan", "Sans resp"):
        assert absent not in body
    assert "comme pilote, coordinateur ou responsable de décisions" in body
    html, _mimetype = message.alternatives[0]
    assert "Décisions à mettre en œuvre (4) :</h2>" in html
    overdue = steering["decisions"]["overdue"]
    assert (
        '<li><strong>échéance le 20/05/2025</strong> <strong style="color:#b00020;">(échue)'
        f'</strong> — <a href="{decision_url(overdue)}">« Lancer l’enquête »</a>'
        " — COPIL du 14/03/2025</li>"
    ) in html
    assert (
        '<li><strong>échéance le 10/06/2025</strong> — <a href="'
        f'{decision_url(steering["decisions"]["soon"])}">« Recruter l’animatrice »</a>'
    ) in html
    assert html.count("(échue)") == 1
    assert "Vous êtes responsable de 4 décisions ouvertes" in html
    coordinator = next(m for m in mailoutbox if m.to == ["coord@example.org"])
    assert "Vous êtes responsable de 1 décision ouverte." in coordinator.body
    assert "échue" not in coordinator.body
    assert (
        f'href="{decision_url(steering["decisions"]["coordinator"])}"'
        in (coordinator.alternatives[0][0])
    )


def test_a_digest_without_decisions_says_nothing_of_them(world, mailoutbox):
    run()
    message = next(m for m in mailoutbox if m.to == ["pil@example.org"])
    assert "Voici ce qui demande votre attention sur les fiches actions que vous suivez." in (
        message.body
    )
    assert "décision" not in message.body.replace("responsable de décisions", "")
    assert "Décisions à mettre en œuvre" not in message.alternatives[0][0]


@pytest.mark.parametrize("role", [Membership.Role.ELECTED, Membership.Role.CAF_STAFF])
def test_a_read_only_member_owning_a_decision_gets_a_digest(steering, mailoutbox, role):
    elected = person("elue", steering["convention"], role, first_name="Élise", last_name="Marty")
    decision = decide(steering["copil"], "Présenter la CTG au conseil", elected, D(2025, 5, 30))
    [part] = digest_of(elected).conventions
    assert part.role == role
    assert [item.text for item in part.decisions.items] == ["Présenter la CTG au conseil"]
    assert part.late.total == part.upcoming.total == part.silent.total == 0  # no sheets
    run()
    [message] = [m for m in mailoutbox if m.to == ["elue@example.org"]]
    assert message.subject == "Vos rappels de la semaine sur le portail CTG"
    label = Membership.Role(role).label
    assert f"CTG des Deux Rives ({label})" in message.body
    assert (
        "Voici les décisions dont vous êtes responsable et qui restent à mettre en œuvre."
    ) in message.body
    assert "Décision à mettre en œuvre (1) :" in message.body
    assert "- échéance le 30/05/2025 (échue) — « Présenter la CTG au conseil »" in message.body
    assert "Étape" not in message.body and "Fiche" not in message.body
    assert decision_url(decision) in message.body
    assert f'href="{decision_url(decision)}"' in message.alternatives[0][0]


def test_a_read_only_member_without_open_decisions_gets_nothing(steering):
    elected = person("elue", steering["convention"], Membership.Role.ELECTED)
    decide(steering["copil"], "Faite", elected, D(2025, 5, 1), Decision.State.DONE)
    decide(steering["copil"], "Abandonnée", elected, D(2025, 5, 1), Decision.State.ABANDONED)
    assert digest_of(elected) is None


def test_decisions_are_told_under_their_convention_only(steering):
    other = ConventionFactory(title="CTG du Causse", slug="causse")
    MembershipFactory(user=steering["pilot"], convention=other, role=Membership.Role.ELECTED)
    # Sheets of the other convention the pilot is named on: not told, they are not a pilot there.
    elsewhere = ActionSheetFactory(convention=other, number=1, title="Ailleurs")
    elsewhere.pilots.add(steering["pilot"])
    StepFactory(sheet=elsewhere, due_on=D(2025, 5, 1))
    decide(meeting_of(other), "Décision du Causse", steering["pilot"], D(2025, 6, 20))
    parts = {p.convention.slug: p for p in digest_of(steering["pilot"]).conventions}
    assert set(parts) == {"deux-rives", "causse"}
    assert [i.text for i in parts["causse"].decisions.items] == ["Décision du Causse"]
    assert parts["causse"].late.total == parts["causse"].upcoming.total == 0
    assert "Décision du Causse" not in [i.text for i in parts["deux-rives"].decisions.items]
    assert digest_of(steering["pilot"]).count("decisions") == 5


def test_an_owner_who_left_the_convention_is_not_told(steering):
    former = person("ancienne")
    decide(steering["copil"], "Décision d’une ancienne", former, D(2025, 5, 1))
    # A member elsewhere: told of that convention only, not of the one they left.
    other = ConventionFactory(slug="causse")
    MembershipFactory(user=former, convention=other, role=Membership.Role.ELECTED)
    assert digest_of(former) is None
    decide(meeting_of(other), "Décision du Causse", former, D(2025, 7, 1))
    [part] = digest_of(former).conventions
    assert [i.text for i in part.decisions.items] == ["Décision du Causse"]


def test_an_owner_is_not_told_when_the_period_is_over_or_unreachable(steering):
    elected = person("elue", steering["convention"], Membership.Role.ELECTED)
    decide(steering["copil"], "À faire", elected, D(2025, 5, 1))
    NotificationSettings.objects.create(user=elected, weekly_digest=False)
    assert digest_of(elected) is None
    NotificationSettings.objects.filter(user=elected).update(weekly_digest=True)
    assert digest_of(elected) is not None
    steering["convention"].start_year, steering["convention"].end_year = 2022, 2024
    steering["convention"].save()
    assert reminders.digests(MONDAY) == []


def test_long_decision_sections_are_capped_with_a_link_to_the_meetings(steering, mailoutbox):
    for index in range(25):
        decide(steering["cotech"], f"Décision n° {index}", steering["coordinator"], D(2025, 8, 1))
    [part] = digest_of(steering["coordinator"]).conventions
    assert part.decisions.total == 26 and len(part.decisions.items) == reminders.SECTION_LIMIT
    assert part.decisions.more == 6
    assert part.decisions.more_url == f"{BASE}/conventions/deux-rives/instances/"
    run()
    [message] = [m for m in mailoutbox if m.to == ["coord@example.org"]]
    assert f"Et 6 autres : {BASE}/conventions/deux-rives/instances/" in message.body
    assert message.body.count("Décision n° ") == reminders.SECTION_LIMIT  # due first
    assert "Préparer le bilan" not in message.body  # due last (01/09): beyond the limit
    html = message.alternatives[0][0]
    assert f'<a href="{BASE}/conventions/deux-rives/instances/">Et 6 autres</a>' in html


def test_an_owner_gets_the_digest_once_a_week(steering, mailoutbox):
    elected = person("elue", steering["convention"], Membership.Role.ELECTED)
    decide(steering["copil"], "À faire", elected, D(2025, 6, 20))
    run()
    assert len([m for m in mailoutbox if m.to == ["elue@example.org"]]) == 1
    output = run()
    assert "0 e-mail envoyé (semaine 2025-W23)." in output
    assert len([m for m in mailoutbox if m.to == ["elue@example.org"]]) == 1
    assert SentNotification.objects.filter(user=elected, key="2025-W23").count() == 1


# Queries: a fixed number whatever the data


def populate(size, prefix):
    """`size` conventions, each with a coordinator, two pilots and 6 sheets with steps, and a
    meeting whose decisions are owned by the pilots, the coordinator, an elected member and
    a former member (open, overdue, done, abandoned)."""
    for index in range(size):
        convention = ConventionFactory()
        coordinator = person(f"{prefix}c{index}", convention, Membership.Role.COORDINATOR)
        pilots = [
            person(f"{prefix}p{index}-{k}", convention, Membership.Role.PILOT) for k in range(2)
        ]
        elected = person(f"{prefix}e{index}", convention, Membership.Role.ELECTED)
        former = person(f"{prefix}f{index}")
        for number in range(1, 7):
            sheet = ActionSheetFactory(convention=convention, number=number)
            sheet.pilots.add(pilots[number % 2])
            StepFactory(sheet=sheet, due_on=D(2025, 5, number))
            StepFactory(sheet=sheet, due_on=D(2025, 6, 2 + number))
            if number % 3:
                ProgressNoteFactory(sheet=sheet, written_on=D(2025, 5, 1))
        meeting = meeting_of(convention)
        for owner in [coordinator, *pilots, elected, former]:
            decide(meeting, "Ouverte", owner, D(2025, 7, 1))
            decide(meeting, "Échue", owner, D(2025, 5, 1))
            decide(meeting, "Sans échéance", owner)
            decide(meeting, "Réalisée", owner, D(2025, 5, 1), Decision.State.DONE)


def count_queries(*args):
    with CaptureQueriesContext(connection) as queries:
        run(*args)
    return len(queries)


def test_dry_run_queries_do_not_grow_with_people_sheets_and_decisions(db):
    populate(2, "a")
    small = count_queries("--dry-run")
    populate(10, "b")
    # Memberships, sheets, pilots' links, steps, decisions.
    assert count_queries("--dry-run") == small == 5
    digests = reminders.digests(MONDAY)
    assert len(digests) == 12 * 4  # coordinator, two pilots, elected member: not the former
    assert {d.count("decisions") for d in digests} == {3}


def test_sending_costs_a_fixed_number_of_queries_per_email(db, mailoutbox):
    populate(2, "a")
    small = count_queries()
    assert len(mailoutbox) == 8
    SentNotification.objects.all().delete()
    populate(8, "b")
    large = count_queries()
    assert len(mailoutbox) == 8 + 40
    per_email = (large - small) // 32
    assert large - small == per_email * 32
    assert small == 5 + per_email * 8
    assert per_email <= 3  # savepoint, insert, release (in the test's transaction)


# The weekday setting


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("monday", 1),
        ("Lundi", 1),
        ("vendredi", 5),
        ("Sunday", 7),
        ("dimanche", 7),
        ("0", 7),
        ("7", 7),
        ("3", 3),
        ("", 1),
    ],
)
def test_reminders_weekday_setting(monkeypatch, value, expected):
    from ctg_portal.settings import env_weekday

    monkeypatch.setenv("REMINDERS_WEEKDAY", value)
    assert env_weekday("REMINDERS_WEEKDAY", "monday") == expected


@pytest.mark.parametrize("value", ["8", "lun", "-1", "funday"])
def test_reminders_weekday_setting_refuses_nonsense(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from ctg_portal.settings import env_weekday

    monkeypatch.setenv("REMINDERS_WEEKDAY", value)
    with pytest.raises(ImproperlyConfigured, match="REMINDERS_WEEKDAY must be a day"):
        env_weekday("REMINDERS_WEEKDAY", "monday")


# A pilot newly named on a sheet


@pytest.fixture
def team(world):
    newcomer = person("nouveau", world["convention"], Membership.Role.PILOT, first_name="Nina")
    sheet = ActionSheet.objects.get(number=3)
    return {**world, "newcomer": newcomer, "sheet": sheet}


def test_new_pilot_is_told_once_after_the_commit(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    sheet, newcomer = team["sheet"], team["newcomer"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sheet.pilots.add(newcomer)
        assert mailoutbox == []  # not before the commit
    assert len(callbacks) == 1
    [message] = mailoutbox
    assert message.to == ["nouveau@example.org"]
    assert message.subject == "Vous pilotez désormais la fiche 3"
    assert "Bonjour Nina" in message.body
    assert "« Jeunesse »" in message.body
    assert "de la convention « CTG des Deux Rives »" in message.body
    assert f"{BASE}/conventions/deux-rives/fiches/3/" in message.body
    assert f"{BASE}/compte/" in message.body
    assert f'href="{BASE}/conventions/deux-rives/fiches/3/"' in message.alternatives[0][0]
    # Removed and named again: not told twice.
    with django_capture_on_commit_callbacks(execute=True):
        sheet.pilots.remove(newcomer)
        sheet.pilots.add(newcomer)
    assert len(mailoutbox) == 1
    assert SentNotification.objects.get(user=newcomer, kind="sheet_assigned").key == (
        f"sheet:{sheet.pk}"
    )


def test_new_pilot_from_the_user_side(team, mailoutbox, django_capture_on_commit_callbacks):
    other = ActionSheetFactory(convention=team["convention"], number=9, title="Numérique")
    with django_capture_on_commit_callbacks(execute=True):
        team["newcomer"].piloted_sheets.add(team["sheet"], other)
    assert sorted(m.subject for m in mailoutbox) == [
        "Vous pilotez désormais la fiche 3",
        "Vous pilotez désormais la fiche 9",
    ]


def test_set_tells_only_the_pilots_added(team, mailoutbox, django_capture_on_commit_callbacks):
    sheet = ActionSheet.objects.get(number=1)  # piloted by "pil"
    with django_capture_on_commit_callbacks(execute=True):
        sheet.pilots.set([team["pilot"], team["newcomer"]])
    assert [m.to for m in mailoutbox] == [["nouveau@example.org"]]
    with django_capture_on_commit_callbacks(execute=True):
        team["newcomer"].piloted_sheets.set([team["sheet"]])  # sheet 1 removed, 3 added
    assert [m.to for m in mailoutbox] == [["nouveau@example.org"]] * 2


def test_muted_changes_tell_no_one(team, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, muted():
        team["sheet"].pilots.add(team["newcomer"])
    assert callbacks == [] and mailoutbox == []
    assert not SentNotification.objects.exists()


@pytest.mark.parametrize("change", ["pending", "inactive", "no_address", "turned_off", "stranger"])
def test_new_pilot_who_cannot_be_reached_is_not_told(
    team, mailoutbox, django_capture_on_commit_callbacks, change
):
    newcomer = team["newcomer"]
    if change == "pending":
        newcomer.set_unusable_password()
    elif change == "inactive":
        newcomer.is_active = False
    elif change == "no_address":
        newcomer.email = ""
    elif change == "turned_off":
        NotificationSettings.objects.create(user=newcomer, sheet_assigned=False)
    else:
        Membership.objects.filter(user=newcomer).delete()
    newcomer.save()
    with django_capture_on_commit_callbacks(execute=True):
        team["sheet"].pilots.add(newcomer)
    assert mailoutbox == []
    assert not SentNotification.objects.filter(kind="sheet_assigned").exists()


def test_edit_form_tells_the_pilot_added_not_the_editor(
    team, client, mailoutbox, django_capture_on_commit_callbacks
):
    coordinator, sheet = team["coordinator"], team["sheet"]
    client.force_login(coordinator)
    pilots = [team["newcomer"].pk, coordinator.pk]
    url = reverse("actions:edit", args=["deux-rives", sheet.number])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, sheet_edit_payload(sheet, pilots=pilots))
    assert response.status_code == 302
    assert set(sheet.pilots.all()) == {team["newcomer"], coordinator}
    assert [m.to for m in mailoutbox] == [["nouveau@example.org"]]


def test_telling_a_change_twice_sends_once(team, mailoutbox):
    pairs = {(team["newcomer"].pk, team["sheet"].pk)}
    assert tell_new_pilots(pairs) == 1
    assert tell_new_pilots(pairs) == 0
    assert len(mailoutbox) == 1


def test_telling_costs_a_fixed_number_of_queries(team, mailoutbox):
    sheets = [ActionSheetFactory(convention=team["convention"], number=20 + i) for i in range(6)]
    with CaptureQueriesContext(connection) as few:
        tell_new_pilots({(team["newcomer"].pk, s.pk) for s in sheets[:2]})
    with CaptureQueriesContext(connection) as many:
        tell_new_pilots({(team["pilot"].pk, s.pk) for s in sheets})
    assert len(mailoutbox) == 8
    # Three queries (users, sheets, memberships), then the same few per e-mail.
    assert (len(many) - 3) / 6 == (len(few) - 3) / 2 <= 3
