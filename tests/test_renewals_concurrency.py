"""Two confirms of one renewal at once, on PostgreSQL: different tokens (two tabs, or two
coordinators), each from its own client and connection, released together. Exactly one
successor is created; the other confirm lands on it, told it was renewed already."""

import pytest
from django.db import connection
from django.test import Client

from actions.models import ActionSheet
from conventions.models import Convention

from .helpers import once, post_together
from .test_renewals import NEW_SLUG, URL, Wizard

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"
    ),
]


@pytest.mark.parametrize("same_user", [True, False])
def test_two_confirms_at_once_renew_once(seeded, coordinator, superuser, same_user):
    client = Client()
    client.force_login(coordinator)
    wizard = Wizard(client)
    preview = wizard.preview()
    assert preview.status_code == 200
    fingerprint = preview.context["form"]["fingerprint"].initial
    data = {**wizard.first, **wizard.second, "action": "confirm", "fingerprint": fingerprint}
    other = coordinator if same_user else superuser
    responses = post_together(
        [
            (coordinator, URL, {**data, "submission": once()}),
            (other, URL, {**data, "submission": once()}),
        ]
    )
    assert [r.status_code for r in responses] == [302, 302]
    assert {r["Location"] for r in responses} == {f"/conventions/{NEW_SLUG}/"}
    assert Convention.objects.filter(predecessor=seeded).count() == 1
    assert Convention.objects.count() == 2
    new = Convention.objects.get(predecessor=seeded)
    assert new.action_sheets.count() == ActionSheet.objects.filter(convention=seeded).count()
    told = [
        str(m)
        for r in responses
        for m in r.wsgi_request._messages
        if "déjà été renouvelée" in str(m)
    ]
    assert len(told) == 1


def test_one_confirm_sent_twice_at_once_renews_once(seeded, coordinator):
    client = Client()
    client.force_login(coordinator)
    wizard = Wizard(client)
    preview = wizard.preview()
    assert preview.status_code == 200
    data = {
        **wizard.first,
        **wizard.second,
        "action": "confirm",
        "submission": once(),
        "fingerprint": preview.context["form"]["fingerprint"].initial,
    }
    responses = post_together([(coordinator, URL, data), (coordinator, URL, data)])
    assert [r.status_code for r in responses] == [302, 302]
    assert Convention.objects.filter(predecessor=seeded).count() == 1
