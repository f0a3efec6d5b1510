"""The convention's members page: who reads it, what it shows, the changes of roles and piloted
sheets, removals, the last coordinator, bad input, and its fixed number of queries."""

import datetime
import re
import zoneinfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Invitation
from actions.models import ActionSheet, ProgressNote
from conventions.models import CafMembership, Membership

from .factories import (
    ActionSheetFactory,
    CafFactory,
    MembershipFactory,
    ProgressNoteFactory,
    UserFactory,
)
from .helpers import once

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
SLUG = "thore-montagne-noire-2023-2025"
PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS), tick=False),
]

URL_NAMES = {
    "portal:members",
    "portal:member",
    "portal:member_invite",
    "portal:member_change",
    "portal:member_remove",
    "portal:invitation_resend",
    "portal:invitation_revoke",
}

READERS = {"pilot", "elected", "caf_staff"}
MANAGERS = {"coordinator", "superuser"}


def manage_only(get_ok, post_ok):
    """Coordinators and superusers manage; the other members 403; outsiders 404."""
    return {
        "anonymous": (302, 302),
        "outsider": (404, 404),
        **dict.fromkeys(MANAGERS, (get_ok, post_ok)),
        **dict.fromkeys(READERS, (403, 403)),
    }


def post_only(post_ok):
    """A form's POST: a GET goes back to the members page (302) for everyone; the POST as
    manage_only. An empty POST is refused with a French form error (400), writing nothing."""
    matrix = manage_only(302, post_ok)
    matrix["outsider"] = (302, 404)
    for persona in READERS:
        matrix[persona] = (302, 403)
    return matrix


# name → {persona: (GET, POST)}
MATRIX = {
    "portal:members": {
        "anonymous": (302, 302),
        "outsider": (404, 405),
        **dict.fromkeys(MANAGERS | READERS, (200, 405)),
    },
    # A page: any other method is 405 for everyone logged in, before any access check.
    "portal:member": {
        "anonymous": (302, 302),
        "outsider": (404, 405),
        **dict.fromkeys(MANAGERS, (200, 405)),
        **dict.fromkeys(READERS, (403, 405)),
    },
    "portal:member_invite": post_only(400),
    "portal:member_change": post_only(400),
    "portal:member_remove": post_only(400),
    "portal:invitation_resend": post_only(400),
    "portal:invitation_revoke": post_only(400),
}


def url_of(name, member_id):
    if name == "portal:member":
        return reverse(name, args=[SLUG, member_id])
    return reverse(name, args=[SLUG])


@pytest.fixture
def target(seeded):
    """A pilot of the seed convention whom the changes aim at."""
    user = UserFactory(username="cible", email="cible@example.org")
    MembershipFactory(user=user, convention=seeded, role=Membership.Role.PILOT)
    return user


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, seeded, target, persona, name, method):
    # The member persona of the matrix is logged in and exists before the page is read (the
    # anonymous visitor has no fixture).
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = getattr(client, method)(url_of(name, target.pk))
    get_status, post_status = MATRIX[name][persona]
    assert response.status_code == (get_status if method == "get" else post_status)
    if response.status_code == 302 and persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    # Nothing written by any of them.
    assert Membership.objects.get(user=target).role == Membership.Role.PILOT
    assert not Invitation.objects.exists()


def test_matrix_names_every_url_of_the_module():
    assert set(MATRIX) == URL_NAMES


def test_caf_level_member_reads_without_e_mail_addresses(client, seeded, coordinator):
    caf = CafFactory(name="CAF du Tarn test")
    seeded.caf = caf
    seeded.save()
    reader = UserFactory(username="caf-niveau")
    CafMembership.objects.create(user=reader, caf=caf, role=CafMembership.Role.MANAGER)
    coordinator.email = "coordination@example.org"
    coordinator.save()
    client.force_login(reader)
    response = client.get(reverse("portal:members", args=[SLUG]))
    assert response.status_code == 200
    html = response.content.decode()
    assert coordinator.get_full_name() in html
    assert "coordination@example.org" not in html
    assert "invite-form" not in html
    posted = client.post(reverse("portal:member_invite", args=[SLUG]), {})
    assert posted.status_code == 403


# What the page shows


def test_coordinator_sees_roles_sheets_logins_and_invitations(
    client, seeded, coordinator, pilot, elected
):
    pilot.email = "pilote@example.org"
    pilot.last_login = datetime.datetime(2025, 5, 20, 9, 0, tzinfo=PARIS)
    pilot.save()
    invited = UserFactory(username="invitee", email="invitee@example.org")
    invited.set_unusable_password()
    invited.save()
    MembershipFactory(user=invited, convention=seeded, role=Membership.Role.ELECTED)
    Invitation.objects.create(
        convention=seeded,
        user=invited,
        email=invited.email,
        role=Membership.Role.ELECTED,
        invited_by=coordinator,
        token_digest="x" * 64,
        expires_at=datetime.datetime(2025, 6, 5, 10, 0, tzinfo=PARIS),
    )
    client.force_login(coordinator)
    response = client.get(reverse("portal:members", args=[SLUG]))
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(rf'<tr id="membre-{pilot.pk}">(.*?)</tr>', html, re.S).group(1)
    assert "pilote@example.org" in row
    assert "Pilote" in row
    assert "20/05/2025" in row
    for number in (1, 2, 3, 4):
        assert f'href="/conventions/{SLUG}/fiches/{number}/"' in row
    invited_row = re.search(rf'<tr id="membre-{invited.pk}">(.*?)</tr>', html, re.S).group(1)
    assert "en attente" in invited_row and "05/06/2025" in invited_row
    assert "Renvoyer l’invitation" in invited_row and "Révoquer l’invitation" in invited_row
    elected_row = re.search(rf'<tr id="membre-{elected.pk}">(.*?)</tr>', html, re.S).group(1)
    assert "jamais" in elected_row
    assert 'id="invite-form"' in html
    assert 'class="table align-middle table-stack"' in html


def test_pilot_reads_names_and_roles_without_e_mail_addresses(client, seeded, coordinator, pilot):
    coordinator.email = "coordination@example.org"
    coordinator.save()
    client.force_login(pilot)
    response = client.get(reverse("portal:members", args=[SLUG]))
    html = response.content.decode()
    assert response.status_code == 200
    assert coordinator.get_full_name() in html and "Coordinateur" in html
    assert "coordination@example.org" not in html
    assert "invite-form" not in html and "jamais" not in html
    assert reverse("portal:member", args=[SLUG, coordinator.pk]) not in html


def test_nav_has_the_members_tab(client, seeded, pilot):
    client.force_login(pilot)
    html = client.get(reverse("portal:dashboard", args=[SLUG])).content.decode()
    assert f'href="{reverse("portal:members", args=[SLUG])}"' in html
    assert ">Membres</a>" in html


def test_member_page_shows_the_form_with_current_values(client, seeded, coordinator, pilot):
    client.force_login(coordinator)
    response = client.get(reverse("portal:member", args=[SLUG, pilot.pk]))
    assert response.status_code == 200
    form = response.context["change_form"]
    assert form.initial["role"] == Membership.Role.PILOT
    assert sorted(
        ActionSheet.objects.filter(pk__in=form.initial["sheets"]).values_list("number", flat=True)
    ) == [1, 2, 3, 4]
    html = response.content.decode()
    assert "<fieldset" in html and "<legend" in html  # the sheets' checkboxes
    assert client.get(reverse("portal:member", args=[SLUG, 999999])).status_code == 404


def test_member_of_another_convention_is_not_found(client, seeded, coordinator, outsider):
    client.force_login(coordinator)
    assert client.get(reverse("portal:member", args=[SLUG, outsider.pk])).status_code == 404


# Changing a member


def change(client, user, role, numbers, convention=None):
    sheets = ActionSheet.objects.filter(
        convention__slug=SLUG if convention is None else convention.slug, number__in=numbers
    )
    return client.post(
        reverse("portal:member_change", args=[SLUG]),
        {"change-member": user.pk, "change-role": role, "change-sheets": [s.pk for s in sheets]},
    )


def test_change_role_and_sheets_moves_versions_and_history(client, seeded, coordinator, pilot):
    client.force_login(coordinator)
    sheets = {s.number: s for s in seeded.action_sheets.filter(number__in=[1, 4, 5])}
    before = {n: (s.version, s.history.count()) for n, s in sheets.items()}
    response = change(client, pilot, Membership.Role.PILOT, [1, 2, 3, 5])
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:members", args=[SLUG])
    piloted = set(seeded.action_sheets.filter(pilots=pilot).values_list("number", flat=True))
    assert piloted == {1, 2, 3, 5}
    for number in (4, 5):  # removed from 4, added to 5: one new version, one record each
        sheet = ActionSheet.objects.get(pk=sheets[number].pk)
        assert sheet.version == before[number][0] + 1
        assert sheet.history.count() == before[number][1] + 1
        record = sheet.history.first()
        pilots = set(record.pilots.values_list("user_id", flat=True))
        assert (pilot.pk in pilots) == (number == 5)
        assert record.history_user == coordinator
    unchanged = ActionSheet.objects.get(pk=sheets[1].pk)
    assert (unchanged.version, unchanged.history.count()) == before[1]


def test_change_role(client, seeded, coordinator, pilot):
    client.force_login(coordinator)
    response = change(client, pilot, Membership.Role.ELECTED, [1, 2, 3, 4])
    assert response.status_code == 302
    assert Membership.objects.get(user=pilot, convention=seeded).role == Membership.Role.ELECTED


def test_archived_sheets_are_left_as_they_are(client, seeded, coordinator, pilot):
    archived = seeded.action_sheets.get(number=4)
    archived.archived_at = datetime.datetime(2025, 1, 1, tzinfo=PARIS)
    archived.save()
    client.force_login(coordinator)
    assert change(client, pilot, Membership.Role.PILOT, [1]).status_code == 302
    piloted = set(seeded.action_sheets.filter(pilots=pilot).values_list("number", flat=True))
    assert piloted == {1, 4}
    # An archived sheet is not offered: posting it is refused.
    response = change(client, pilot, Membership.Role.PILOT, [1, 4])
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"change-role": "superuser"}, "Sélectionnez un choix valide"),
        ({"change-role": "staff"}, "Sélectionnez un choix valide"),
        ({"change-sheets": ["999999"]}, "Sélectionnez un choix valide"),
        ({"change-sheets": ["99999999999999999999999"]}, "Sélectionnez un choix valide"),
        ({"change-sheets": ["abc"]}, "n’est pas une valeur correcte"),
    ],
)
def test_bad_input_in_a_change_writes_nothing(client, seeded, coordinator, pilot, data, message):
    client.force_login(coordinator)
    base = {"change-member": pilot.pk, "change-role": "pilot", "change-sheets": []}
    response = client.post(reverse("portal:member_change", args=[SLUG]), {**base, **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Membership.objects.get(user=pilot, convention=seeded).role == Membership.Role.PILOT
    assert seeded.action_sheets.filter(pilots=pilot).count() == 4
    assert not pilot.is_staff and not pilot.is_superuser


def test_sheet_of_another_convention_is_refused(
    client, seeded, coordinator, pilot, other_convention
):
    foreign = ActionSheetFactory(convention=other_convention, number=1)
    client.force_login(coordinator)
    response = client.post(
        reverse("portal:member_change", args=[SLUG]),
        {"change-member": pilot.pk, "change-role": "pilot", "change-sheets": [foreign.pk]},
    )
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not foreign.pilots.exists()
    assert seeded.action_sheets.filter(pilots=pilot).count() == 4


@pytest.mark.parametrize("forged", ["999999", "abc", "", "99999999999999999999999", "outsider"])
@pytest.mark.parametrize("url", ["portal:member_change", "portal:member_remove"])
def test_forged_member_id_is_a_french_error(client, seeded, coordinator, outsider, url, forged):
    client.force_login(coordinator)
    memberships = sorted(Membership.objects.values_list("user_id", "convention_id", "role"))
    value = str(outsider.pk) if forged == "outsider" else forged
    prefix = "change-" if url == "portal:member_change" else ""
    response = client.post(
        reverse(url, args=[SLUG]), {f"{prefix}member": value, f"{prefix}role": "pilot"}
    )
    assert response.status_code == 400
    assert "Cette personne n’est pas membre de cette convention." in response.content.decode()
    assert sorted(Membership.objects.values_list("user_id", "convention_id", "role")) == memberships


# Removing a member


def test_remove_member_keeps_notes_and_history_and_cuts_access(client, seeded, coordinator, pilot):
    sheet = seeded.action_sheets.get(number=1)
    note = ProgressNoteFactory(sheet=sheet, author=pilot)
    other = ActionSheetFactory()  # a sheet of another convention they pilot stays
    other.pilots.add(pilot)
    versions = dict(seeded.action_sheets.values_list("number", "version"))
    client.force_login(coordinator)
    response = client.post(reverse("portal:member_remove", args=[SLUG]), {"member": pilot.pk})
    assert response.status_code == 302
    assert not Membership.objects.filter(user=pilot, convention=seeded).exists()
    assert not seeded.action_sheets.filter(pilots=pilot).exists()
    assert other.pilots.filter(pk=pilot.pk).exists()
    for number in (1, 2, 3, 4):
        assert seeded.action_sheets.get(number=number).version == versions[number] + 1
    assert ProgressNote.objects.get(pk=note.pk).author == pilot
    assert get_user_model().objects.filter(pk=pilot.pk).exists()
    client.force_login(pilot)
    assert client.get(reverse("portal:dashboard", args=[SLUG])).status_code == 404
    assert client.get(reverse("actions:edit", args=[SLUG, 1])).status_code == 404


def test_removing_a_pending_invitee_revokes_the_invitation(client, seeded, coordinator):
    client.force_login(coordinator)
    client.post(
        reverse("portal:member_invite", args=[SLUG]),
        {
            "invite-email": "nouvelle@example.org",
            "invite-first_name": "Nina",
            "invite-last_name": "Nouvelle",
            "invite-role": "pilot",
            "invite-submission": once(),
        },
    )
    invitation = Invitation.objects.get()
    response = client.post(
        reverse("portal:member_remove", args=[SLUG]), {"member": invitation.user_id}
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


# The last coordinator


def test_the_last_coordinator_cannot_be_demoted_or_removed(client, seeded, coordinator):
    client.force_login(coordinator)
    response = change(client, coordinator, Membership.Role.PILOT, [])
    assert response.status_code == 400
    html = response.content.decode()
    assert "C’est le dernier coordinateur de la convention" in html
    removal = client.post(reverse("portal:member_remove", args=[SLUG]), {"member": coordinator.pk})
    assert removal.status_code == 400
    assert "C’est le dernier coordinateur de la convention" in removal.content.decode()
    assert Membership.objects.get(user=coordinator).role == Membership.Role.COORDINATOR


def test_a_coordinator_steps_down_when_another_remains(client, seeded, coordinator):
    second = UserFactory(username="coordination2")
    MembershipFactory(user=second, convention=seeded, role=Membership.Role.COORDINATOR)
    client.force_login(coordinator)
    response = change(client, coordinator, Membership.Role.ELECTED, [])
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard", args=[SLUG])
    assert Membership.objects.get(user=coordinator).role == Membership.Role.ELECTED
    # The one left is the last.
    client.force_login(second)
    assert change(client, second, Membership.Role.PILOT, []).status_code == 400


def test_a_coordinator_leaves_and_lands_on_their_conventions(client, seeded, coordinator):
    second = UserFactory(username="coordination2")
    MembershipFactory(user=second, convention=seeded, role=Membership.Role.COORDINATOR)
    client.force_login(coordinator)
    response = client.post(reverse("portal:member_remove", args=[SLUG]), {"member": coordinator.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_superuser_manages_without_membership(client, seeded, superuser, coordinator, pilot):
    client.force_login(superuser)
    assert change(client, pilot, Membership.Role.COORDINATOR, []).status_code == 302
    assert Membership.objects.get(user=pilot).role == Membership.Role.COORDINATOR


# Invitations from the list: forged ids, resend twice


@pytest.mark.parametrize("url", ["portal:invitation_resend", "portal:invitation_revoke"])
def test_invitation_of_another_convention_is_refused(
    client, seeded, coordinator, outsider, other_convention, url
):
    invitee = UserFactory(username="ailleurs")
    foreign = Invitation.objects.create(
        convention=other_convention,
        user=invitee,
        email="ailleurs@example.org",
        role="pilot",
        token_digest="y" * 64,
        expires_at=datetime.datetime(2025, 6, 5, tzinfo=PARIS),
    )
    client.force_login(coordinator)
    for value in (foreign.pk, "abc", "", 10**30):
        response = client.post(reverse(url, args=[SLUG]), {"invitation": value})
        assert response.status_code == 400
        assert "Cette invitation n’appartient pas à cette convention." in response.content.decode()
    foreign.refresh_from_db()
    assert (foreign.revoked_at, foreign.sent_count) == (None, 1)


# Query count


def add_members(convention, count, start):
    sheets = list(convention.action_sheets.order_by("number")[:5])
    for index in range(start, start + count):
        user = UserFactory(username=f"membre{index}", email=f"membre{index}@example.org")
        MembershipFactory(user=user, convention=convention, role=Membership.Role.PILOT)
        sheets[index % len(sheets)].pilots.add(user)
        if index % 3 == 0:
            Invitation.objects.create(
                convention=convention,
                user=user,
                email=user.email,
                role="pilot",
                token_digest=f"{index:064d}",
                expires_at=datetime.datetime(2025, 6, 5, tzinfo=PARIS),
            )


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_members_page_queries_do_not_grow(client, seeded, coordinator, pilot):
    url = reverse("portal:members", args=[SLUG])
    client.force_login(coordinator)
    add_members(seeded, 10, 0)
    small = count_queries(client, url)
    add_members(seeded, 290, 10)
    large = count_queries(client, url)
    assert Membership.objects.filter(convention=seeded).count() == 302
    assert large == small
    client.force_login(pilot)
    assert count_queries(client, url) <= small


def test_a_sheet_given_from_the_members_page_is_told_to_its_pilot(
    client, seeded, coordinator, pilot, mailoutbox, django_capture_on_commit_callbacks
):
    pilot.email = "pilote@example.org"
    pilot.save()
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        assert change(client, pilot, Membership.Role.PILOT, [1, 2, 3, 4, 6]).status_code == 302
    assert [m.to for m in mailoutbox] == [["pilote@example.org"]]
    assert "6" in mailoutbox[0].subject + mailoutbox[0].body


def test_the_people_of_the_caf_are_listed_apart(
    client, seeded, coordinator, caf_level_staff, caf_manager
):
    """The CAF's people open the convention without a membership: the page names them apart,
    with their CAF role, in one query whatever their number."""
    caf_level_staff.first_name, caf_level_staff.last_name = "Agathe", "Agent"
    caf_level_staff.save()
    url = reverse("portal:members", args=[SLUG])
    client.force_login(coordinator)
    small = count_queries(client, url)
    for index in range(30):
        CafMembership.objects.create(
            user=UserFactory(username=f"agent-{index}"), caf=seeded.caf, role="staff"
        )
    assert count_queries(client, url) == small
    response = client.get(url)
    section = response.content.decode().split('id="caf-people"')[1].split("</ul>")[0]
    assert "Agathe Agent — agent de la CAF" in section
    assert "responsable CAF" in section
    assert "Accès par la CAF du Tarn" in response.content.decode()
    # A CAF-level reader sees the page too, without the e-mail addresses.
    client.force_login(caf_level_staff)
    response = client.get(url)
    assert response.status_code == 200
    assert "@" not in response.content.decode().split("<main")[1].split("</main>")[0]
