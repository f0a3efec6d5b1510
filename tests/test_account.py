"""The user's own account, /compte/: profile, password change, conventions and roles,
notification choices."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.account_forms import ProfileForm
from accounts.models import NotificationSettings
from conventions.models import CafMembership, Membership

from .factories import CafFactory, ConventionFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]

# name → {persona: (GET, POST with no data)}; "*" for every persona not listed. The forms'
# addresses take a POST: a GET goes back to the account page. An empty post is refused with
# the form's errors (400), except the notification choices, where nothing ticked is a choice.
MATRIX = {
    "account:home": {"anonymous": (302, 302), "*": (200, 405)},
    "account:profile": {"anonymous": (302, 302), "*": (302, 400)},
    "account:password": {"anonymous": (302, 302), "*": (302, 400)},
    "account:notifications": {"anonymous": (302, 302), "*": (302, 302)},
}
URL_NAMES = set(MATRIX)

STRONG = "Montagne-Noire-2025!"


def log_in(client, username, password):
    """Log in through the login page (django-axes wants the request): whether it worked."""
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_matrix(request, client, seeded, persona, name, method):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    expectations = MATRIX[name]
    get_status, post_status = expectations.get(persona, expectations["*"])
    url = reverse(name)
    response = client.get(url) if method == "get" else client.post(url, {})
    assert response.status_code == (get_status if method == "get" else post_status)
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login") + "?next=")
    elif method == "get" and name != "account:home":
        assert response["Location"] == reverse("account:home")


def test_page_shows_profile_conventions_and_roles(client, seeded, pilot):
    caf = CafFactory(name="CAF du Tarn")
    CafMembership.objects.create(user=pilot, caf=caf, role=CafMembership.Role.MANAGER)
    other = ConventionFactory(title="CTG du Castrais", start_year=2024, end_year=2027)
    MembershipFactory(user=pilot, convention=other, role=Membership.Role.ELECTED)
    pilot.email = "pilote@example.org"
    pilot.save()
    client.force_login(pilot)
    html = client.get(reverse("account:home")).content.decode()
    assert 'value="pilote@example.org"' in html
    assert f'value="{pilot.first_name}"' in html
    assert "Votre identifiant est pilote." in html
    memberships = html[html.index('id="account-memberships"') :]
    memberships = memberships[: memberships.index("</table>")]
    # The newest convention first, each with its role and a link to its dashboard.
    assert memberships.index("CTG du Castrais") < memberships.index(seeded.title)
    assert reverse("portal:dashboard", args=[seeded.slug]) in memberships
    assert "Pilote" in memberships and "Élu" in memberships
    cafs = html[html.index('id="account-caf-memberships"') :]
    assert "CAF du Tarn" in cafs and "Responsable CAF" in cafs.split("</table>")[0]
    # The sections, each with its heading, and the page named in the header.
    for heading in ("Profil", "Mot de passe", "Conventions et rôles", "Notifications par e-mail"):
        assert f">{heading}</h2>" in html
    assert 'aria-current="page">Mon compte</a>' in html


def test_user_without_membership_is_told_so(client, db):
    user = UserFactory()
    client.force_login(user)
    html = client.get(reverse("account:home")).content.decode()
    assert "Vous n’êtes encore membre d’aucune convention." in html
    assert 'id="account-memberships"' not in html


def test_header_links_to_the_account_for_signed_in_users_only(client, coordinator):
    assert reverse("account:home") not in client.get(reverse("login")).content.decode()
    client.force_login(coordinator)
    html = client.get(reverse("portal:home")).content.decode()
    assert f'href="{reverse("account:home")}">Mon compte</a>' in html


def test_query_count_does_not_grow_with_memberships(client, django_assert_num_queries, db):
    user = UserFactory()
    client.force_login(user)
    MembershipFactory(user=user, role=Membership.Role.PILOT)
    CafMembership.objects.create(user=user, caf=CafFactory(), role=CafMembership.Role.STAFF)
    client.get(reverse("account:home"))  # the session and caches warm
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("account:home")).status_code == 200
    for _ in range(30):
        MembershipFactory(user=user, role=Membership.Role.ELECTED)
    for _ in range(5):
        CafMembership.objects.create(user=user, caf=CafFactory(), role=CafMembership.Role.MANAGER)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(reverse("account:home"))
    assert response.content.decode().count('data-label="Rôle"') == 31 + 6


# Profile


def profile(client, **data):
    payload = {"first_name": "Camille", "last_name": "Durand", "email": "camille@example.org"}
    payload.update(data)
    return client.post(reverse("account:profile"), payload)


def test_profile_is_saved(client, pilot):
    client.force_login(pilot)
    response = profile(client, first_name="  Camille ", email="Camille@EXAMPLE.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("account:home")
    pilot.refresh_from_db()
    assert (pilot.first_name, pilot.last_name, pilot.email) == (
        "Camille",
        "Durand",
        "Camille@example.org",  # the domain is lowercased, as Django's user manager does
    )
    html = client.get(response["Location"]).content.decode()
    assert "Votre profil est enregistré." in html
    assert "Se déconnecter (Camille Durand)" in html


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("PILOTE2@example.org", "Cette adresse est déjà utilisée par un autre compte."),
        ("pas-une-adresse", "Saisissez une adresse e-mail valide."),
        ("", "Ce champ est obligatoire."),
    ],
)
def test_profile_refuses_a_bad_or_taken_address(client, pilot, other_pilot, email, message):
    other_pilot.email = "pilote2@example.org"
    other_pilot.save()
    pilot.email = "pilote@example.org"
    pilot.save()
    client.force_login(pilot)
    response = profile(client, first_name="Nouveau", email=email)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Votre profil n’a pas été enregistré" in html
    assert message in html
    pilot.refresh_from_db()
    assert (pilot.first_name, pilot.email) != ("Nouveau", email)
    assert pilot.email == "pilote@example.org"
    # The refused name is in the form, not in the header (the user was not renamed).
    assert 'value="Nouveau"' in html
    assert "Se déconnecter (Nouveau" not in html


def test_profile_keeps_its_own_address(client, pilot):
    pilot.email = "pilote@example.org"
    pilot.save()
    client.force_login(pilot)
    assert profile(client, email="pilote@example.org").status_code == 302


def test_profile_refuses_control_characters(client, pilot):
    client.force_login(pilot)
    response = profile(client, last_name="Du\x1brand")
    assert response.status_code == 400
    assert "caractère de contrôle (U+001B)" in response.content.decode()


def test_profile_save_writes_only_its_fields(pilot):
    """A profile form opened before a password change does not bring the old password back."""
    form = ProfileForm(
        {"first_name": "A", "last_name": "B", "email": "a@example.org"},
        instance=get_user_model().objects.get(pk=pilot.pk),
    )
    pilot.set_password(STRONG)
    pilot.save()
    assert form.is_valid(), form.errors
    form.save()
    pilot.refresh_from_db()
    assert pilot.check_password(STRONG)
    assert pilot.first_name == "A"


# Password


def change_password(client, old="password", new=STRONG, again=None):
    data = {"old_password": old, "new_password1": new, "new_password2": again or new}
    return client.post(reverse("account:password"), data)


def test_password_change_keeps_the_session_and_ends_the_others(client, pilot):
    client.force_login(pilot)
    elsewhere = Client()
    assert log_in(elsewhere, "pilote", "password")
    response = change_password(client)
    assert response.status_code == 302
    assert "Votre mot de passe est modifié." in client.get(reverse("account:home")).content.decode()
    pilot.refresh_from_db()
    assert pilot.check_password(STRONG)
    # The other browser, logged in with the old password, is sent to the login page.
    assert elsewhere.get(reverse("account:home")).status_code == 302
    assert log_in(Client(), "pilote", STRONG)
    assert not log_in(Client(), "pilote", "password")


@pytest.mark.parametrize(
    ("old", "new", "again", "message"),
    [
        ("wrong", STRONG, None, "Votre ancien mot de passe est incorrect."),
        ("password", "court", None, "Ce mot de passe est trop court."),
        ("password", "motdepasse", None, "Ce mot de passe est trop courant."),
        ("password", "4815162342", None, "Ce mot de passe est entièrement numérique."),
        ("password", STRONG, "autre-chose-2025", "Les deux mots de passe ne correspondent pas."),
    ],
)
def test_password_change_refused_in_french(client, pilot, old, new, again, message):
    client.force_login(pilot)
    response = change_password(client, old=old, new=new, again=again)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Votre mot de passe n’a pas été modifié" in html
    assert message in html
    pilot.refresh_from_db()
    assert pilot.check_password("password")


def test_password_field_does_not_take_the_focus(client, pilot):
    client.force_login(pilot)
    assert "autofocus" not in client.get(reverse("account:home")).content.decode()


# Notifications


def test_notification_choices_are_created_then_changed(client, pilot):
    client.force_login(pilot)
    html = client.get(reverse("account:home")).content.decode()
    # Every kind is on until the user chooses.
    assert html.count('type="checkbox"') == 2 and html.count("checked") == 2
    assert not NotificationSettings.objects.filter(user=pilot).exists()
    url = reverse("account:notifications")
    response = client.post(url, {"sheet_assigned": "on"})
    assert response.status_code == 302
    row = NotificationSettings.objects.get(user=pilot)
    assert (row.weekly_digest, row.sheet_assigned) == (False, True)
    assert not NotificationSettings.wants(pilot, "weekly_digest")
    html = client.get(reverse("account:home")).content.decode()
    assert "Vos choix de notifications par e-mail sont enregistrés." in html
    assert html.count("checked") == 1
    client.post(url, {"weekly_digest": "on"})
    row.refresh_from_db()
    assert (row.weekly_digest, row.sheet_assigned) == (True, False)
    assert NotificationSettings.objects.filter(user=pilot).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL")
def test_concurrent_first_saves_make_one_row(pilot):
    workers = 6
    barrier = threading.Barrier(workers)
    statuses = []

    def worker(index):
        from django.db import connections

        client = Client()
        client.force_login(pilot)
        try:
            barrier.wait()
            data = {"weekly_digest": "on"} if index % 2 else {}
            statuses.append(client.post(reverse("account:notifications"), data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * workers
    assert NotificationSettings.objects.filter(user=pilot).count() == 1
