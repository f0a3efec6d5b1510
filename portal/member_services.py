"""The members page's writes: a membership (accounts.services) and the sheets the member pilots
(actions), in one transaction, and the e-mail that tells the person.

The pilots of a sheet are one of its link fields: naming or removing one moves the sheet's
version (an edit form opened before meets it as any other change, actions.services) and makes
one history record of the sheet with its links (actions.models.one_history_record), as an edit
of the sheet's own page would.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse

from accounts import services as accounts
from accounts.mail import absolute_url
from accounts.notifications import muted
from actions.models import ActionSheet, one_history_record
from actions.services import bump_version

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from accounts.models import Invitation
    from conventions.models import Convention, Membership


def set_piloted_sheets(
    user: User, convention: Convention, wanted: Iterable[int], *, archived_too: bool = False
) -> int:
    """Make `user` a pilot of exactly the sheets `wanted` (ids) among the convention's sheets
    not archived (every sheet with `archived_too`); the others stay as they are. Each sheet
    changed is locked, moves to a new version and gets one history record. Returns how many
    sheets changed. An ended convention's sheets keep their pilots: they are part of the plan,
    kept as it stood (`ConventionAccess.closed_reason`); the members page then changes roles
    and memberships only."""
    if convention.is_ended:
        return 0
    scope = ActionSheet.objects.filter(convention=convention)
    if not archived_too:
        scope = scope.active()
    wanted = set(scope.filter(pk__in=set(wanted)).values_list("pk", flat=True))
    current = set(scope.filter(pilots=user).values_list("pk", flat=True))
    changed = current ^ wanted
    # Locked in the order of their ids: two such writes at once cannot wait on each other.
    for sheet in ActionSheet.objects.select_for_update().filter(pk__in=changed).order_by("pk"):
        bump_version(sheet)
        with one_history_record(sheet):
            if sheet.pk in wanted:
                sheet.pilots.add(user)
            else:
                sheet.pilots.remove(user)
    return len(changed)


def sheet_items(convention: Convention, sheets: Iterable[ActionSheet]) -> list[dict]:
    """The sheets as an e-mail lists them: number, title and absolute link."""
    return [
        {
            "number": sheet.number,
            "title": sheet.title,
            "url": absolute_url(reverse("actions:detail", args=[convention.slug, sheet.number])),
        }
        for sheet in sorted(sheets, key=lambda sheet: sheet.number)
    ]


@transaction.atomic
def invite_member(
    convention: Convention,
    inviter: User,
    *,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    sheets: Iterable[ActionSheet],
) -> accounts.Invited:
    """Invite a person (accounts.services.invite), name them pilot of `sheets` and send the
    e-mail: the invitation with its link, or for an active account the news of the
    convention. An e-mail that cannot be sent undoes it all (the exception propagates)."""
    sheets = list(sheets)
    invited = accounts.invite(
        convention,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        invited_by=inviter,
    )
    # The e-mail below lists the sheets: no separate "new sheet to pilot" e-mail.
    with muted():
        set_piloted_sheets(invited.user, convention, [sheet.pk for sheet in sheets])
    items = sheet_items(convention, sheets)
    if invited.invitation is not None and invited.token is not None:
        accounts.send_invitation_mail(invited.invitation, invited.token, inviter, items)
    else:
        accounts.send_added_mail(invited.membership, inviter, items)
    return invited


@transaction.atomic
def resend_invitation(
    convention: Convention, invitation_id: int, sender: User
) -> tuple[Invitation, bool]:
    """A new link for the invitation (the old one dies), sent by e-mail; (invitation, False)
    when it was sent a moment ago (nothing sent again)."""
    invitation, token = accounts.resend(convention, invitation_id)
    if token is None:
        return invitation, False
    sheets = ActionSheet.objects.active().filter(convention=convention, pilots=invitation.user)
    accounts.send_invitation_mail(invitation, token, sender, sheet_items(convention, sheets))
    return invitation, True


@transaction.atomic
def revoke_invitation(convention: Convention, invitation_id: int) -> tuple[Invitation, bool]:
    """Revoke the invitation; the invitee's membership and pilot links go with it."""
    invitation, first = accounts.revoke(convention, invitation_id)
    if first:
        set_piloted_sheets(invitation.user, convention, [], archived_too=True)
    return invitation, first


@transaction.atomic
def change_member(
    convention: Convention, user_id: int, role: str, sheets: Iterable[ActionSheet]
) -> tuple[Membership, bool]:
    """The member's role and the sheets they pilot; (membership, whether anything changed)."""
    membership, role_changed = accounts.change_role(convention, user_id, role)
    moved = set_piloted_sheets(membership.user, convention, [sheet.pk for sheet in sheets])
    return membership, role_changed or bool(moved)


@transaction.atomic
def remove_member(convention: Convention, user_id: int) -> Membership:
    """Remove the membership and the person's pilot links on the convention's sheets."""
    membership = accounts.remove_membership(convention, user_id)
    set_piloted_sheets(membership.user, convention, [], archived_too=True)
    return membership
