"""Who belongs to a convention: invitations, memberships and roles.

Each write runs in one transaction. Those that could leave a convention without a coordinator
(a role changed, a membership removed, an invitation revoked) lock the convention's row first,
so that two of them at once run one after the other and the second sees the first's result.
Links to sheets are not written here (the sheets are a domain above this one): the portal's
page calls these functions and names the pilots in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from conventions.models import Convention, Membership
from ctg_portal.formatting import display_name, format_moment

from . import tokens
from .mail import absolute_url, send_portal_mail
from .models import INVITATION_VALIDITY, Invitation

if TYPE_CHECKING:
    import datetime

    from django.contrib.auth.models import User


USERNAME_MAX = 150
# A link sent again within this pause is not sent a third time (a double click on "resend").
RESEND_PAUSE = timedelta(minutes=1)


class MembershipRefused(Exception):
    """A write refused by a rule of memberships; `message` is French, for the form (its
    `field`, or the whole form when None)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvitationUnusable(Exception):
    """The invitation link cannot be used: forged (`invitation` None), expired, accepted or
    revoked (`state`)."""

    def __init__(self, invitation: Invitation | None, state: str | None) -> None:
        super().__init__(state or "unknown")
        self.invitation = invitation
        self.state = state


@dataclass
class Invited:
    """What an invitation made: the membership, and for a person without an active account
    the invitation and its link's token (only its digest is stored)."""

    user: User
    membership: Membership
    invitation: Invitation | None = None
    token: str | None = None
    new_account: bool = False


def lock_convention(convention: Convention) -> Convention:
    """The convention's row, locked until the transaction ends (PostgreSQL; SQLite serialises
    its writers anyway)."""
    return Convention.objects.select_for_update().get(pk=convention.pk)


def has_password(user: User) -> bool:
    return user.has_usable_password()


def find_account(email: str) -> User | None:
    """The account of `email` (compared without case): an active one (a usable password)
    first, else one invited before that never chose a password."""
    users = get_user_model().objects.filter(email__iexact=email.strip())
    return (
        users.exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX).order_by("pk").first()
        or users.order_by("pk").first()
    )


def username_candidates(email: str):
    """Usernames for the account of `email`: the address itself (lower case), then numbered."""
    base = email.strip().lower()[:USERNAME_MAX]
    yield base
    for number in range(2, 1000):
        suffix = f"-{number}"
        yield base[: USERNAME_MAX - len(suffix)] + suffix


def create_account(email: str, first_name: str, last_name: str) -> User:
    """A new account for `email`, without a usable password (chosen through the invitation).

    Two invitations of one address at once (two conventions): the second waits on the
    username's unique index, then finds the account the first created.
    """
    users = get_user_model().objects
    email = users.normalize_email(email.strip())
    for username in username_candidates(email):
        if users.filter(username__iexact=username).exists():
            continue
        user = users.model(
            username=username, email=email, first_name=first_name, last_name=last_name
        )
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            existing = find_account(email)
            if existing is not None:
                return existing
            continue
        return user
    raise MembershipRefused(_("No username is free for this address."), "email")


def coordinators_left_without(convention: Convention, user_id: int) -> int:
    return (
        Membership.objects.filter(convention=convention, role=Membership.Role.COORDINATOR)
        .exclude(user_id=user_id)
        .count()
    )


def keep_a_coordinator(convention: Convention, membership: Membership, new_role=None) -> None:
    """Refuse to leave the convention without a coordinator (the convention's row locked)."""
    if membership.role != Membership.Role.COORDINATOR or new_role == Membership.Role.COORDINATOR:
        return
    if not coordinators_left_without(convention, membership.user_id):
        raise MembershipRefused(
            _(
                "This is the convention’s last coordinator: name another coordinator before "
                "changing their role or removing them."
            )
        )


def new_invitation(convention, user, role, invited_by, now) -> tuple[Invitation, str]:
    token, digest = tokens.new_token()
    invitation = Invitation.objects.create(
        convention=convention,
        user=user,
        email=user.email,
        role=role,
        invited_by=invited_by,
        token_digest=digest,
        created_at=now,
        expires_at=now + INVITATION_VALIDITY,
    )
    return invitation, token


@transaction.atomic
def invite(
    convention: Convention,
    *,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    invited_by: User,
    now: datetime.datetime | None = None,
) -> Invited:
    """Make `email` a member of `convention` with `role`.

    An address with an active account gets the membership (no second account); an address
    without one gets an account without password, the membership and an invitation, whose
    link (`Invited.token`) sets the password. A person invited before who never accepted
    keeps their account. Refused (MembershipRefused) for a member already.
    """
    if role not in Membership.Role.values:
        raise MembershipRefused(_("Choose one of the roles offered."), "role")
    now = now or timezone.now()
    convention = lock_convention(convention)
    user = find_account(email)
    new_account = user is None
    if user is None:
        user = create_account(email, first_name, last_name)
    elif not user.is_active:
        raise MembershipRefused(
            _("This account is deactivated: ask an administrator of the portal."), "email"
        )
    if Membership.objects.filter(user=user, convention=convention).exists():
        if has_password(user):
            message = _("This person is already a member of this convention.")
        else:
            message = _(
                "This person is already invited to this convention: send the invitation again "
                "from the list of members."
            )
        raise MembershipRefused(message, "email")
    if not new_account and not has_password(user):
        # Invited before, never accepted: the names given now fill those left empty.
        given = {"first_name": first_name, "last_name": last_name}
        changed = [name for name, value in given.items() if value and not getattr(user, name)]
        for name in changed:
            setattr(user, name, given[name])
        if changed:
            user.save(update_fields=changed)
    membership = Membership.objects.create(user=user, convention=convention, role=role)
    if has_password(user):
        return Invited(user=user, membership=membership)
    invitation, token = new_invitation(convention, user, role, invited_by, now)
    return Invited(user, membership, invitation, token, new_account)


def lock_invitation(convention: Convention, invitation_id: int) -> Invitation:
    try:
        return (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("user", "convention", "invited_by")
            .get(pk=invitation_id, convention=convention)
        )
    except Invitation.DoesNotExist:
        raise MembershipRefused(_("This invitation does not belong to this convention.")) from None


@transaction.atomic
def resend(
    convention: Convention, invitation_id: int, now: datetime.datetime | None = None
) -> tuple[Invitation, str | None]:
    """A new link for a pending or expired invitation: the old link stops working, the new one
    works for 7 days from now. Returns the invitation and the new link's token, or None for a
    link sent less than RESEND_PAUSE ago (a double click: nothing written)."""
    now = now or timezone.now()
    invitation = lock_invitation(convention, invitation_id)
    state = invitation.state(now)
    if state == Invitation.State.PENDING and invitation.expires_at - INVITATION_VALIDITY > (
        now - RESEND_PAUSE
    ):
        return invitation, None
    if state == Invitation.State.ACCEPTED:
        raise MembershipRefused(_("This invitation was already accepted."))
    if state == Invitation.State.REVOKED:
        raise MembershipRefused(_("This invitation was revoked: invite the person again instead."))
    role = (
        Membership.objects.filter(user=invitation.user, convention=convention)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise MembershipRefused(
            _("This person is no longer a member of the convention: invite them again.")
        )
    token, digest = tokens.new_token()
    invitation.token_digest = digest
    invitation.expires_at = now + INVITATION_VALIDITY
    invitation.sent_count += 1
    invitation.role = role
    invitation.save(update_fields=["token_digest", "expires_at", "sent_count", "role"])
    return invitation, token


@transaction.atomic
def revoke(
    convention: Convention, invitation_id: int, now: datetime.datetime | None = None
) -> tuple[Invitation, bool]:
    """Revoke an invitation not accepted: its link stops working and the invitee's membership
    goes. Returns (invitation, False) when it was revoked already (nothing written).

    The caller removes the invitee's links to the convention's sheets in the same transaction.
    """
    now = now or timezone.now()
    convention = lock_convention(convention)
    invitation = lock_invitation(convention, invitation_id)
    if invitation.accepted_at is not None:
        raise MembershipRefused(
            _("This invitation was already accepted: remove the membership instead.")
        )
    if invitation.revoked_at is not None:
        return invitation, False
    membership = (
        Membership.objects.select_for_update()
        .filter(user=invitation.user, convention=convention)
        .first()
    )
    if membership is not None:
        keep_a_coordinator(convention, membership)
        membership.delete()
    invitation.revoked_at = now
    invitation.save(update_fields=["revoked_at"])
    return invitation, True


def lock_membership(convention: Convention, user_id: int) -> Membership:
    try:
        return (
            Membership.objects.select_for_update()
            .select_related("user")
            .get(convention=convention, user_id=user_id)
        )
    except Membership.DoesNotExist:
        raise MembershipRefused(_("This person is not a member of this convention.")) from None


@transaction.atomic
def change_role(convention: Convention, user_id: int, role: str) -> tuple[Membership, bool]:
    """Give the member `user_id` the role `role`; (membership, whether it changed). Refused
    for the last coordinator's demotion."""
    if role not in Membership.Role.values:
        raise MembershipRefused(_("Choose one of the roles offered."), "role")
    convention = lock_convention(convention)
    membership = lock_membership(convention, user_id)
    if membership.role == role:
        return membership, False
    keep_a_coordinator(convention, membership, role)
    membership.role = role
    membership.save(update_fields=["role"])
    # The invitation still pending says the role the person will hold.
    Invitation.objects.filter(
        convention=convention, user_id=user_id, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(role=role)
    return membership, True


@transaction.atomic
def remove_membership(
    convention: Convention, user_id: int, now: datetime.datetime | None = None
) -> Membership:
    """Remove the member `user_id` from the convention: they lose access at once; their
    account, notes and history stay. An invitation still pending is revoked (its link would
    otherwise open an account without access). Refused for the last coordinator.

    The caller removes their links to the convention's sheets in the same transaction.
    """
    now = now or timezone.now()
    convention = lock_convention(convention)
    membership = lock_membership(convention, user_id)
    keep_a_coordinator(convention, membership)
    membership.delete()
    Invitation.objects.filter(
        convention=convention, user_id=user_id, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    return membership


def find_invitation(token: str) -> Invitation | None:
    """The invitation of a link's token (looked up by its digest, compared in constant
    time), whatever its state; None for a token that matches none."""
    if not token or len(token) > 200:
        return None
    invitation = (
        Invitation.objects.select_related("user", "convention", "invited_by")
        .filter(token_digest=tokens.digest(token))
        .first()
    )
    if invitation is None or not tokens.matches(token, invitation.token_digest):
        return None
    return invitation


@transaction.atomic
def accept(token: str, password: str, now: datetime.datetime | None = None) -> Invitation:
    """Accept the invitation of `token`: the account gets `password`, the invitation is
    accepted, once (its row locked: two posts at once, the second is refused).

    The person's other invitations still open (other conventions) are accepted with it: their
    memberships exist already, and their links must not set the password again.
    """
    now = now or timezone.now()
    found = find_invitation(token)
    if found is None:
        raise InvitationUnusable(None, None)
    invitation = (
        Invitation.objects.select_for_update().select_related("user", "convention").get(pk=found.pk)
    )
    if not tokens.matches(token, invitation.token_digest):  # resent meanwhile
        raise InvitationUnusable(None, None)
    state = invitation.state(now)
    if state != Invitation.State.PENDING:
        raise InvitationUnusable(invitation, state)
    user = invitation.user
    if not user.is_active:  # deactivated by an administrator meanwhile
        raise InvitationUnusable(invitation, Invitation.State.REVOKED)
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    Invitation.objects.filter(user=user, accepted_at__isnull=True, revoked_at__isnull=True).exclude(
        pk=invitation.pk
    ).update(accepted_at=now)
    return invitation


# The e-mails


def role_label(role: str) -> str:
    return str(Membership.Role(role).label)


def send_invitation_mail(
    invitation: Invitation, token: str, inviter: User | None, sheets: Sequence[dict]
) -> None:
    """The invitation e-mail: the link choosing the password, its expiry, the convention, the
    inviter, the role and, for a pilot, the sheets (`sheets`: number, title, url)."""
    with translation.override("fr"):
        expires = format_moment(invitation.expires_at)
        role = role_label(invitation.role)
    send_portal_mail(
        "invitation",
        [invitation.email],
        {
            "invitation": invitation,
            "convention": invitation.convention,
            "invitee": display_name(invitation.user),
            "username": invitation.user.username,
            "inviter": display_name(inviter) if inviter else "",
            "role": role,
            "sheets": list(sheets),
            "link": absolute_url(reverse("invitations:accept", args=[token])),
            "expires": expires,
        },
    )


def send_added_mail(membership: Membership, inviter: User | None, sheets: Sequence[dict]) -> None:
    """The e-mail of a person with an account added to a convention: a link to it."""
    convention = membership.convention
    with translation.override("fr"):
        role = role_label(membership.role)
    send_portal_mail(
        "added_to_convention",
        [membership.user.email],
        {
            "convention": convention,
            "member": display_name(membership.user),
            "username": membership.user.username,
            "inviter": display_name(inviter) if inviter else "",
            "role": role,
            "sheets": list(sheets),
            "link": absolute_url(reverse("portal:dashboard", args=[convention.slug])),
        },
    )
