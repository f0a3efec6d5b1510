"""The invitation journey: a coordinator invites, the e-mail carries the link, the invitee
chooses a password and edits their sheet; links expired, used, revoked, forged or replaced;
existing accounts; bad input; a double submission."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import tokens
from accounts.models import Invitation
from actions.models import ActionSheet
from conventions.models import Membership

from .factories import ActionSheetFactory, UserFactory
from .helpers import once

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS)
SLUG = "thore-montagne-noire-2023-2025"
PASSWORD = "Vrai-mot-de-passe-2025"

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

URL_NAMES = {"invitations:accept"}

User = get_user_model()


def invite(client, email="nina.nouvelle@example.org", role="pilot", numbers=(1, 2), **extra):
    sheets = ActionSheet.objects.filter(convention__slug=SLUG, number__in=numbers)
    data = {
        "invite-email": email,
        "invite-first_name": "Nina",
        "invite-last_name": "Nouvelle",
        "invite-role": role,
        "invite-sheets": [sheet.pk for sheet in sheets],
        "invite-submission": once(),
    }
    data.update(extra)
    return client.post(reverse("portal:member_invite", args=[SLUG]), data)


def link_in(message):
    match = re.search(r"http://testserver(/invitation/[A-Za-z0-9_-]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.PORTAL_BASE_URL = "http://testserver"


@pytest.fixture
def coordinator_client(coordinator):
    """The coordinator's browser; the invitee's is `client`."""
    coordinator.first_name, coordinator.last_name = "Claire", "Coordinatrice"
    coordinator.save()
    browser = Client()
    browser.force_login(coordinator)
    return browser


# The whole journey


def test_invite_accept_and_edit_the_sheet(client, coordinator_client, seeded, mailoutbox):
    versions = dict(seeded.action_sheets.values_list("number", "version"))
    response = invite(coordinator_client)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:members", args=[SLUG])

    user = User.objects.get(email="nina.nouvelle@example.org")
    assert user.username == "nina.nouvelle@example.org"
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser
    assert Membership.objects.get(user=user, convention=seeded).role == Membership.Role.PILOT
    piloted = seeded.action_sheets.filter(pilots=user)
    assert set(piloted.values_list("number", flat=True)) == {1, 2}
    for sheet in piloted:  # named through the sheet: a new version and its history record
        assert sheet.version == versions[sheet.number] + 1
        assert user.pk in sheet.history.first().pilots.values_list("user_id", flat=True)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["nina.nouvelle@example.org"]
    assert seeded.title in message.subject
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert '<html lang="fr">' in html
    for text in (message.body, html):
        assert "Claire Coordinatrice" in text
        assert "pilote" in text
        assert "09/06/2025 à 10 h 00" in text  # 7 days
        assert "Fiche 1" in text and "Fiche 2" in text
    link = link_in(message)
    assert link in html

    invitation = Invitation.objects.get()
    token = link.split("/")[2]
    assert invitation.token_digest == tokens.digest(token) and token not in invitation.token_digest
    assert invitation.state() == Invitation.State.PENDING

    client.logout()
    page = client.get(link)
    assert page.status_code == 200
    assert "Choisissez votre mot de passe" in page.content.decode()
    accepted = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert accepted.status_code == 302
    assert accepted["Location"] == reverse("portal:dashboard", args=[SLUG])
    assert int(client.session["_auth_user_id"]) == user.pk
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_at == NOW
    assert client.get(reverse("actions:edit", args=[SLUG, 1])).status_code == 200

    # The link works once.
    client.logout()
    again = client.get(link)
    assert again.status_code == 410
    assert "Cette invitation a déjà été utilisée" in again.content.decode()
    # And the password chosen logs in.
    login = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert login.status_code == 302


def test_weak_passwords_are_refused_in_french(client, coordinator_client, mailoutbox):
    invite(coordinator_client)
    link = link_in(mailoutbox[0])
    client.logout()
    response = client.post(link, {"new_password1": "abc", "new_password2": "abc"})
    assert response.status_code == 400
    assert "Ce mot de passe est trop court" in response.content.decode()
    mismatch = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD + "x"})
    assert mismatch.status_code == 400
    assert Invitation.objects.get().accepted_at is None
    assert not User.objects.get(email="nina.nouvelle@example.org").has_usable_password()


def test_signed_in_as_someone_else(client, coordinator_client, pilot, mailoutbox):
    invite(coordinator_client)
    link = link_in(mailoutbox[0])
    client.force_login(pilot)
    page = client.get(link)
    assert page.status_code == 200
    assert 'id="signed-in-as"' in page.content.decode()
    response = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302
    invitee = User.objects.get(email="nina.nouvelle@example.org")
    assert int(client.session["_auth_user_id"]) == invitee.pk


# Links that cannot be used


def test_expired_link(client, coordinator_client, mailoutbox):
    invite(coordinator_client)
    link = link_in(mailoutbox[0])
    client.logout()
    with time_machine.travel(NOW + datetime.timedelta(days=7, seconds=1), tick=False):
        page = client.get(link)
        assert page.status_code == 410
        assert "Cette invitation a expiré le 09/06/2025" in page.content.decode()
        assert "renvoyer" in page.content.decode()
        posted = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
        assert posted.status_code == 410
    assert "_auth_user_id" not in client.session
    assert not User.objects.get(email="nina.nouvelle@example.org").has_usable_password()
    # Still usable just before.
    with time_machine.travel(NOW + datetime.timedelta(days=6, hours=23), tick=False):
        assert client.get(link).status_code == 200


@pytest.mark.parametrize("token", ["x", "a" * 43, "A" * 500, "é" * 10, "%00", "%20"])
def test_forged_links(client, seeded, token):
    response = client.get(f"/invitation/{token}/")
    assert response.status_code == 404
    assert "ne correspond à aucune invitation" in response.content.decode()
    posted = client.post(f"/invitation/{token}/", {"new_password1": PASSWORD})
    assert posted.status_code == 404


def test_forged_link_page(client, seeded):
    response = client.get(reverse("invitations:accept", args=["jeton-invente"]))
    assert response.status_code == 404
    assert "Ce lien ne correspond à aucune invitation" in response.content.decode()


def test_revoked_link(client, coordinator_client, seeded, mailoutbox):
    invite(coordinator_client)
    link = link_in(mailoutbox[0])
    invitation = Invitation.objects.get()
    user = invitation.user
    response = coordinator_client.post(
        reverse("portal:invitation_revoke", args=[SLUG]), {"invitation": invitation.pk}
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at == NOW
    assert not Membership.objects.filter(user=user, convention=seeded).exists()
    assert not seeded.action_sheets.filter(pilots=user).exists()
    # Revoked twice: told, nothing written.
    again = coordinator_client.post(
        reverse("portal:invitation_revoke", args=[SLUG]), {"invitation": invitation.pk}, follow=True
    )
    assert "était déjà révoquée" in again.content.decode()
    page = coordinator_client.get(reverse("portal:members", args=[SLUG])).content.decode()
    assert 'id="revoked-list"' in page and "nina.nouvelle@example.org" in page
    client.logout()
    dead = client.get(link)
    assert dead.status_code == 410
    assert "retirée par le coordinateur" in dead.content.decode()
    assert (
        client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD}).status_code == 410
    )


def test_an_accepted_invitation_cannot_be_revoked(client, coordinator_client, mailoutbox):
    invite(coordinator_client)
    link = link_in(mailoutbox[0])
    client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    invitation = Invitation.objects.get()
    response = coordinator_client.post(
        reverse("portal:invitation_revoke", args=[SLUG]), {"invitation": invitation.pk}
    )
    assert response.status_code == 400
    assert "déjà été acceptée" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_resend_kills_the_old_link(client, coordinator_client, coordinator, mailoutbox):
    invite(coordinator_client)
    old_link = link_in(mailoutbox[0])
    invitation = Invitation.objects.get()
    later = NOW + datetime.timedelta(days=3)
    with time_machine.travel(later, tick=False):
        coordinator_client.force_login(coordinator)  # the session of 3 days ago expired
        response = coordinator_client.post(
            reverse("portal:invitation_resend", args=[SLUG]), {"invitation": invitation.pk}
        )
        assert response.status_code == 302
        assert len(mailoutbox) == 2
        new_link = link_in(mailoutbox[1])
        assert new_link != old_link
        assert "Fiche 1" in mailoutbox[1].body
        invitation.refresh_from_db()
        assert invitation.sent_count == 2
        assert invitation.expires_at == later + datetime.timedelta(days=7)
        # A double click: the second is not sent.
        coordinator_client.post(
            reverse("portal:invitation_resend", args=[SLUG]), {"invitation": invitation.pk}
        )
        assert len(mailoutbox) == 2
        invitation.refresh_from_db()
        assert invitation.sent_count == 2
        client.logout()
        assert client.get(old_link).status_code == 404
        assert client.get(new_link).status_code == 200
    # The new link outlives the first one's expiry.
    with time_machine.travel(NOW + datetime.timedelta(days=8), tick=False):
        assert client.get(new_link).status_code == 200


def test_resend_an_expired_invitation(client, coordinator_client, coordinator, mailoutbox):
    invite(coordinator_client)
    invitation = Invitation.objects.get()
    with time_machine.travel(NOW + datetime.timedelta(days=10), tick=False):
        coordinator_client.force_login(coordinator)
        page = coordinator_client.get(reverse("portal:members", args=[SLUG])).content.decode()
        assert "expirée" in page
        coordinator_client.post(
            reverse("portal:invitation_resend", args=[SLUG]), {"invitation": invitation.pk}
        )
        link = link_in(mailoutbox[1])
        client.logout()
        assert client.get(link).status_code == 200


# Existing accounts


def test_an_existing_account_gets_a_membership(client, coordinator_client, seeded, mailoutbox):
    existing = UserFactory(username="marie", email="Marie.Martin@Example.org")
    response = invite(coordinator_client, email="marie.martin@example.org", numbers=(3,))
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="marie.martin@example.org").count() == 1
    assert Membership.objects.get(user=existing, convention=seeded).role == "pilot"
    assert not Invitation.objects.exists()
    assert seeded.action_sheets.get(number=3).pilots.filter(pk=existing.pk).exists()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["Marie.Martin@Example.org"]
    assert f"http://testserver{reverse('portal:dashboard', args=[SLUG])}" in message.body
    assert "Fiche 3" in message.body and "Claire Coordinatrice" in message.body
    assert "/invitation/" not in message.body
    existing.refresh_from_db()
    assert existing.check_password("password")


def test_a_member_already_is_a_french_error(coordinator_client, seeded, pilot, mailoutbox):
    pilot.email = "pilote@example.org"
    pilot.save()
    response = invite(coordinator_client, email="PILOTE@example.org")
    assert response.status_code == 400
    assert "Cette personne est déjà membre de cette convention." in response.content.decode()
    assert mailoutbox == []
    # Invited and pending: told to resend instead.
    invite(coordinator_client, email="nina.nouvelle@example.org")
    again = invite(coordinator_client, email="nina.nouvelle@example.org")
    assert again.status_code == 400
    assert "déjà invitée" in again.content.decode()
    assert Invitation.objects.count() == 1


def test_a_revoked_invitee_invited_again_keeps_their_account(
    client, coordinator_client, seeded, mailoutbox
):
    invite(coordinator_client)
    first = Invitation.objects.get()
    coordinator_client.post(
        reverse("portal:invitation_revoke", args=[SLUG]), {"invitation": first.pk}
    )
    response = invite(coordinator_client, email="Nina.Nouvelle@example.org", role="elected")
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="nina.nouvelle@example.org").count() == 1
    second = Invitation.objects.exclude(pk=first.pk).get()
    assert second.user_id == first.user_id
    assert Membership.objects.get(user_id=first.user_id, convention=seeded).role == "elected"
    client.logout()
    assert client.get(link_in(mailoutbox[-1])).status_code == 200
    assert client.get(link_in(mailoutbox[0])).status_code == 410


def test_accepting_closes_the_other_open_invitations(
    client, coordinator_client, seeded, outsider, other_convention, mailoutbox
):
    invite(coordinator_client)
    client.force_login(outsider)
    other_sheet = ActionSheetFactory(convention=other_convention, number=1)
    client.post(
        reverse("portal:member_invite", args=[other_convention.slug]),
        {
            "invite-email": "nina.nouvelle@example.org",
            "invite-first_name": "Nina",
            "invite-last_name": "Nouvelle",
            "invite-role": "pilot",
            "invite-sheets": [other_sheet.pk],
            "invite-submission": once(),
        },
    )
    assert User.objects.filter(email="nina.nouvelle@example.org").count() == 1
    assert Invitation.objects.count() == 2
    first, second = link_in(mailoutbox[0]), link_in(mailoutbox[1])
    client.logout()
    client.post(first, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert not Invitation.objects.filter(accepted_at__isnull=True).exists()
    client.logout()
    assert client.get(second).status_code == 410


# Bad input


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"invite-role": "superuser"}, "Sélectionnez un choix valide"),
        ({"invite-role": "staff"}, "Sélectionnez un choix valide"),
        ({"invite-email": "pas-une-adresse"}, "Saisissez une adresse e-mail valide"),
        ({"invite-email": ""}, "Ce champ est obligatoire"),
        ({"invite-sheets": ["999999"]}, "Sélectionnez un choix valide"),
        ({"invite-sheets": ["1e9"]}, "n’est pas une valeur correcte"),
        ({"invite-last_name": "Nou\x00velle"}, "caractère de contrôle"),
        ({"invite-submission": ""}, "Ce formulaire a expiré"),
    ],
)
def test_bad_input_writes_nothing(coordinator_client, seeded, mailoutbox, changes, message):
    users = User.objects.count()
    response = invite(coordinator_client, **changes)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == users
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_sheet_of_another_convention_is_refused(coordinator_client, other_convention, mailoutbox):
    foreign = ActionSheetFactory(convention=other_convention, number=1)
    response = invite(coordinator_client, **{"invite-sheets": [foreign.pk]})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not User.objects.filter(email="nina.nouvelle@example.org").exists()
    assert not foreign.pilots.exists()
    assert mailoutbox == []


def test_double_submission_invites_once(coordinator_client, mailoutbox):
    token = once()
    first = invite(coordinator_client, **{"invite-submission": token})
    second = invite(coordinator_client, **{"invite-submission": token})
    assert first.status_code == second.status_code == 302
    assert Invitation.objects.count() == 1
    assert User.objects.filter(email="nina.nouvelle@example.org").count() == 1
    assert len(mailoutbox) == 1
    page = coordinator_client.get(second["Location"]).content.decode()
    assert "Cette invitation a déjà été envoyée." in page


def test_a_mail_failure_saves_nothing(coordinator_client, seeded, monkeypatch, mailoutbox):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    response = invite(coordinator_client)
    assert response.status_code == 400
    assert "L’e-mail n’a pas pu être envoyé" in response.content.decode()
    assert not User.objects.filter(email="nina.nouvelle@example.org").exists()
    assert not Invitation.objects.exists()
    assert not seeded.action_sheets.filter(pilots__email="nina.nouvelle@example.org").exists()


def test_usernames_stay_unique(coordinator_client, seeded):
    UserFactory(username="nina.nouvelle@example.org", email="autre@example.org")
    invite(coordinator_client)
    user = User.objects.get(email="nina.nouvelle@example.org")
    assert user.username == "nina.nouvelle@example.org-2"


# The permission matrix of the invitation page: the link is the credential, for everyone.

MATRIX = {
    "invitations:accept": dict.fromkeys(
        ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"],
        (404, 404),
    )
}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "persona",
    ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"],
)
def test_permission_matrix(request, client, seeded, persona, method):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = getattr(client, method)(reverse("invitations:accept", args=["inconnu"]))
    get_status, post_status = MATRIX["invitations:accept"][persona]
    assert response.status_code == (get_status if method == "get" else post_status)


def test_method_not_served(client, seeded):
    assert client.put(reverse("invitations:accept", args=["inconnu"])).status_code == 405


# With the e-mail of a pilot newly named on a sheet (actions.notifications)


def test_an_existing_account_gets_one_e_mail(
    coordinator_client, seeded, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(username="marie", email="marie@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        invite(coordinator_client, email="marie@example.org", numbers=(3, 4))
    assert [m.subject for m in mailoutbox] == [f"Vous êtes maintenant membre de {seeded.title}"]


def test_an_invitee_gets_the_invitation_only(
    coordinator_client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(coordinator_client, numbers=(3, 4))
    assert len(mailoutbox) == 1
    assert "/invitation/" in mailoutbox[0].body


def test_a_deactivated_account_cannot_accept(client, coordinator_client, mailoutbox):
    invite(coordinator_client)
    link = link_in(mailoutbox[0])
    User.objects.filter(email="nina.nouvelle@example.org").update(is_active=False)
    assert client.get(link).status_code == 410
    response = client.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 410
    assert "_auth_user_id" not in client.session
    assert Invitation.objects.get().accepted_at is None
