"""Concurrent writes of memberships on PostgreSQL: two coordinators demoting or removing each
other at once leave one coordinator; an invitation link posted twice at once is accepted once;
an invitation posted twice at once (a double click) invites once; two invitations of one
address at once make one account.

Each thread is a browser of its own (a test Client with its own database connection) and all
post at the same instant (a barrier), as in tests/test_concurrency.py.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from accounts.models import Invitation
from conventions.models import Membership

from .factories import MembershipFactory, UserFactory
from .helpers import once, post_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"
    ),
]

SLUG = "thore-montagne-noire-2023-2025"
PASSWORD = "Vrai-mot-de-passe-2025"


@pytest.fixture
def two_coordinators(seeded):
    first = UserFactory(username="coordination1")
    second = UserFactory(username="coordination2")
    for user in (first, second):
        MembershipFactory(user=user, convention=seeded, role=Membership.Role.COORDINATOR)
    return first, second


def coordinators(convention):
    return Membership.objects.filter(convention=convention, role=Membership.Role.COORDINATOR)


def test_two_demotions_at_once_leave_a_coordinator(seeded, two_coordinators):
    first, second = two_coordinators
    url = reverse("portal:member_change", args=[SLUG])
    responses = post_together(
        [
            (first, url, {"change-member": second.pk, "change-role": "pilot"}),
            (second, url, {"change-member": first.pk, "change-role": "pilot"}),
        ]
    )
    statuses = sorted(r.status_code for r in responses)
    # The second is refused by the rule (400), or, reading the first's result before its own
    # access check, finds itself no longer a coordinator (403).
    assert statuses[0] == 302 and statuses[1] in (400, 403)
    for response in responses:
        if response.status_code == 400:
            assert "dernier coordinateur" in response.content.decode()
    assert coordinators(seeded).count() == 1


def test_two_removals_at_once_leave_a_coordinator(seeded, two_coordinators):
    first, second = two_coordinators
    url = reverse("portal:member_remove", args=[SLUG])
    responses = post_together(
        [(first, url, {"member": second.pk}), (second, url, {"member": first.pk})]
    )
    statuses = sorted(r.status_code for r in responses)
    # The second one is refused by the rule (400) or, reading the first's result before its own
    # access check, is no longer a member of the convention at all: an outsider (404).
    assert statuses[0] == 302 and statuses[1] in (400, 404)
    assert coordinators(seeded).count() == 1


def test_a_self_demotion_and_a_removal_at_once(seeded, two_coordinators):
    first, second = two_coordinators
    responses = post_together(
        [
            (
                first,
                reverse("portal:member_change", args=[SLUG]),
                {"change-member": first.pk, "change-role": "elected"},
            ),
            (second, reverse("portal:member_remove", args=[SLUG]), {"member": second.pk}),
        ]
    )
    assert sorted(r.status_code for r in responses) == [302, 400]
    assert coordinators(seeded).count() == 1


def invite_data(email, token=None):
    return {
        "invite-email": email,
        "invite-first_name": "Nina",
        "invite-last_name": "Nouvelle",
        "invite-role": "pilot",
        "invite-submission": token or once(),
    }


def test_a_link_posted_twice_at_once_is_accepted_once(client, seeded, coordinator, mailoutbox):
    client.force_login(coordinator)
    client.post(reverse("portal:member_invite", args=[SLUG]), invite_data("nina@example.org"))
    link = re.search(r"/invitation/[A-Za-z0-9_-]+/", mailoutbox[0].body).group(0)
    passwords = [f"{PASSWORD}-{i}" for i in range(4)]
    responses = post_together(
        [(None, link, {"new_password1": p, "new_password2": p}) for p in passwords]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302, 410, 410, 410]
    winner = passwords[[r.status_code for r in responses].index(302)]
    user = get_user_model().objects.get(email="nina@example.org")
    assert user.check_password(winner)
    invitation = Invitation.objects.get()
    assert invitation.accepted_at is not None


def test_an_invitation_posted_twice_at_once_invites_once(seeded, coordinator, mailoutbox):
    token = once()
    url = reverse("portal:member_invite", args=[SLUG])
    responses = post_together([(coordinator, url, invite_data("nina@example.org", token))] * 3)
    assert [r.status_code for r in responses] == [302] * 3
    assert Invitation.objects.count() == 1
    assert get_user_model().objects.filter(email="nina@example.org").count() == 1
    assert len(mailoutbox) == 1


def test_one_address_invited_twice_at_once_gets_one_account(
    seeded, coordinator, outsider, other_convention, mailoutbox
):
    responses = post_together(
        [
            (
                coordinator,
                reverse("portal:member_invite", args=[SLUG]),
                invite_data("nina@example.org"),
            ),
            (
                outsider,
                reverse("portal:member_invite", args=[other_convention.slug]),
                invite_data("NINA@example.org"),
            ),
        ]
    )
    assert [r.status_code for r in responses] == [302, 302]
    users = get_user_model().objects.filter(email__iexact="nina@example.org")
    assert users.count() == 1
    assert Membership.objects.filter(user=users.get()).count() == 2
    assert Invitation.objects.count() == 2
    assert len(mailoutbox) == 2
