"""Password reset by e-mail: Django's views, French pages and e-mails, links on the portal's
public address, and the same answer whether an address has an account or not."""

import re

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client
from django.urls import reverse

from .factories import UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]
BASE = "https://ctg.example.org"
STRONG = "Montagne-Noire-2025!"

# Open to everyone, signed in or not. An empty post of the request is the form again with its
# error; a post to a forged link is the page saying the link does not work.
MATRIX = {
    "account:password_reset": {"*": (200, 200)},
    "account:password_reset_done": {"*": (200, 405)},
    "account:password_reset_confirm": {"*": (200, 200)},
    "account:password_reset_complete": {"*": (200, 405)},
}
ARGS = {"account:password_reset_confirm": ["MQ", "forged-token"]}
URL_NAMES = set(MATRIX)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_matrix(request, client, seeded, persona, name, method, mailoutbox):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    get_status, post_status = MATRIX[name]["*"]
    url = reverse(name, args=ARGS.get(name, []))
    response = client.get(url) if method == "get" else client.post(url, {})
    assert response.status_code == (get_status if method == "get" else post_status)
    assert not mailoutbox


@pytest.fixture
def camille(db):
    return UserFactory(
        username="camille", first_name="Camille", last_name="Martin", email="camille@example.org"
    )


@pytest.fixture(autouse=True)
def public_address(settings):
    settings.PORTAL_BASE_URL = BASE + "/"


def ask(client, email):
    return client.post(reverse("account:password_reset"), {"email": email}, follow=True)


def reset_link(message):
    links = re.findall(r"https://\S+", message.body)
    assert len(links) == 1, message.body
    return links[0]


def log_in(client, username, password):
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def test_login_page_links_to_the_reset(client, db):
    html = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("account:password_reset")}"' in html
    assert "Mot de passe oublié ?" in html


def test_known_address_gets_a_french_email_with_an_absolute_link(client, camille, mailoutbox):
    response = ask(client, "Camille@Example.org")
    assert response.redirect_chain == [(reverse("account:password_reset_done"), 302)]
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["camille@example.org"]
    assert message.subject == "Choisissez un nouveau mot de passe pour le Portail CTG"
    assert "Bonjour Camille Martin," in message.body
    assert "(identifiant : camille)" in message.body
    assert "dans un délai de 3 jours :" in message.body
    link = reset_link(message)
    # On the public address, not on the host the request came to (a proxy's, an attacker's).
    assert link.startswith(f"{BASE}/mot-de-passe/nouveau/")
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert f'href="{link}"' in html
    assert "Choisir un nouveau mot de passe" in html


def test_unknown_address_gets_the_same_answer_and_no_email(client, camille, mailoutbox):
    known = ask(client, "camille@example.org")
    unknown = ask(Client(), "personne@example.org")
    assert len(mailoutbox) == 1
    assert known.redirect_chain == unknown.redirect_chain
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert "Si un compte utilise cette adresse" in known.content.decode()


def test_account_without_usable_password_gets_no_email(client, camille, mailoutbox):
    """A pending invitee (no password yet) uses the invitation link instead."""
    camille.set_unusable_password()
    camille.save()
    response = ask(client, "camille@example.org")
    assert response.redirect_chain == [(reverse("account:password_reset_done"), 302)]
    assert not mailoutbox
    assert "Utilisez le lien de votre e-mail d’invitation" in response.content.decode()


def test_malformed_address_is_a_french_error(client, camille, mailoutbox):
    response = client.post(reverse("account:password_reset"), {"email": "camille"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Le lien n’a pas été envoyé" in html
    assert "Saisissez une adresse e-mail valide." in html
    assert not mailoutbox


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("no mail server")


def test_delivery_failure_gives_the_same_page(client, camille, settings, caplog):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    response = ask(client, "camille@example.org")
    assert response.redirect_chain == [(reverse("account:password_reset_done"), 302)]
    assert "Failed to send password reset email" in caplog.text


def test_link_works_end_to_end_and_once(client, camille, mailoutbox):
    camille.set_password("ancien-mot-de-passe-2024")
    camille.save()
    ask(client, "camille@example.org")
    path = reset_link(mailoutbox[0]).removeprefix(BASE)
    browser = Client()
    # The token leaves the address at once (kept in the session).
    response = browser.get(path)
    assert response.status_code == 302
    form_url = response["Location"]
    assert form_url.endswith("/choisir/") and "token" not in form_url
    html = browser.get(form_url).content.decode()
    assert "Choisir un nouveau mot de passe" in html
    # A weak password is refused in French, and the link still works.
    refused = browser.post(form_url, {"new_password1": "court", "new_password2": "court"})
    assert refused.status_code == 200
    assert "Ce mot de passe est trop court." in refused.content.decode()
    done = browser.post(form_url, {"new_password1": STRONG, "new_password2": STRONG}, follow=True)
    assert done.redirect_chain == [(reverse("account:password_reset_complete"), 302)]
    assert "Votre nouveau mot de passe est enregistré." in done.content.decode()
    assert log_in(Client(), "camille", STRONG)
    assert not log_in(Client(), "camille", "ancien-mot-de-passe-2024")
    # Used once: the same link now gets the French page saying what to do.
    again = Client().get(path, follow=True)
    html = again.content.decode()
    assert "Ce lien ne fonctionne pas" in html
    assert f'href="{reverse("account:password_reset")}"' in html


@pytest.mark.parametrize(
    ("uidb64", "token"),
    [("MQ", "forged-token"), ("!!", "x"), ("OTk5OTk5", "c2g9k1-0123456789abcdef0123456789abcdef")],
)
def test_forged_link_gets_a_french_page(client, camille, uidb64, token):
    response = client.get(reverse("account:password_reset_confirm", args=[uidb64, token]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Le lien pour choisir un nouveau mot de passe est invalide" in html
    assert "<form" not in html.split("<main", 1)[1]
