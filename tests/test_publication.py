"""Coordinators publish or withdraw the convention's public page, after a preview of exactly
what the public sees (issue 12, Publishing)."""

import re

import pytest
from django.urls import reverse

from conventions.models import Convention

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
URL = reverse("portal:publication", args=[SLUG])
PUBLIC = reverse("portal:public", args=[SLUG])


def main_of(html):
    """The public page's own content: the dashboard, from its title to the end of main."""
    start = html.index('<h1 class="h2 mb-0">')
    return re.sub(r"\s+", " ", html[start : html.index("</main>")])


def test_a_coordinator_previews_then_publishes_and_withdraws(client, coordinator, seeded):
    client.force_login(coordinator)
    dashboard = client.get(reverse("portal:dashboard", args=[SLUG])).content.decode()
    assert "Page publique : non publiée" in dashboard
    preview = client.get(URL)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "pas publié" in html and "Publier cette page" in html
    assert client.get(PUBLIC).status_code == 404

    response = client.post(URL, {"action": "publish"}, follow=True)
    assert "La page publique est publiée." in response.content.decode()
    assert Convention.objects.get(slug=SLUG).is_public
    # A publish sent twice writes once, and says so.
    response = client.post(URL, {"action": "publish"}, follow=True)
    assert "Elle était déjà publiée." in response.content.decode()
    seeded.refresh_from_db()
    assert seeded.history.filter(is_public=True).count() == 1
    assert seeded.history.latest().history_user == coordinator

    # The preview shows exactly what the public sees.
    public = client.__class__().get(PUBLIC)
    assert public.status_code == 200
    preview = client.get(URL).content.decode()
    assert main_of(public.content.decode()) in main_of(preview)

    response = client.post(URL, {"action": "unpublish"}, follow=True)
    assert "La page publique est retirée." in response.content.decode()
    assert client.__class__().get(PUBLIC).status_code == 404


def test_an_unknown_action_writes_nothing(client, coordinator, seeded):
    client.force_login(coordinator)
    response = client.post(URL, {"action": "toggle"}, follow=True)
    assert "Choisissez de publier ou de retirer la page." in response.content.decode()
    assert not Convention.objects.get(slug=SLUG).is_public


def test_other_members_cannot_publish(client, pilot, seeded):
    client.force_login(pilot)
    assert client.post(URL, {"action": "publish"}).status_code == 403
    assert not Convention.objects.get(slug=SLUG).is_public
    dashboard = client.get(reverse("portal:dashboard", args=[SLUG])).content.decode()
    assert "Page publique" not in dashboard
