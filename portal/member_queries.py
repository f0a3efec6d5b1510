"""What the members page reads: a fixed number of queries whatever the number of members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Prefetch, Subquery
from django.db.models.functions import Lower
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Invitation
from actions.models import ActionSheet
from conventions.models import CafMembership, Membership

if TYPE_CHECKING:
    import datetime

    from django.contrib.auth.models import User

    from conventions.models import Convention

REVOKED_SHOWN = 20


@dataclass
class MemberRow:
    membership: Membership
    user: User
    sheets: list[ActionSheet]  # the convention's sheets they pilot, archived ones included
    invitation: Invitation | None  # their latest invitation to the convention
    state: str | None  # its Invitation.State
    state_on: datetime.datetime | None  # when it was accepted, expires, expired, was revoked


def state_and_date(invitation: Invitation | None, now):
    if invitation is None:
        return None, None
    state = invitation.state(now)
    moment = {
        Invitation.State.ACCEPTED: invitation.accepted_at,
        Invitation.State.REVOKED: invitation.revoked_at,
    }.get(state, invitation.expires_at)
    return state, moment


def member_rows(convention: Convention, now: datetime.datetime) -> list[MemberRow]:
    """The convention's members by name, with the sheets they pilot and their latest
    invitation: three queries."""
    latest = (
        Invitation.objects.filter(convention=convention, user=OuterRef("user_id"))
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    sheets = (
        ActionSheet.objects.filter(convention=convention)
        .order_by("number")
        .only("pk", "number", "title", "archived_at", "convention_id")
    )
    memberships = list(
        Membership.objects.filter(convention=convention)
        .select_related("user")
        .annotate(latest_invitation=Subquery(latest))
        .prefetch_related(Prefetch("user__piloted_sheets", queryset=sheets, to_attr="sheets_here"))
        .order_by(Lower("user__last_name"), Lower("user__first_name"), "user__username")
    )
    invitations = Invitation.objects.in_bulk(
        [m.latest_invitation for m in memberships if m.latest_invitation]
    )
    rows = []
    for membership in memberships:
        invitation = invitations.get(membership.latest_invitation)
        state, moment = state_and_date(invitation, now)
        rows.append(
            MemberRow(
                membership, membership.user, membership.user.sheets_here, invitation, state, moment
            )
        )
    return rows


CAF_PEOPLE_SHOWN = 50


def caf_people(convention: Convention) -> list[CafMembership]:
    """The people who open the convention through its CAF (CafMembership), not members of it:
    one query, the first CAF_PEOPLE_SHOWN by name."""
    if convention.caf_id is None:
        return []
    return list(
        CafMembership.objects.filter(caf_id=convention.caf_id)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")[:CAF_PEOPLE_SHOWN]
    )


def revoked_invitations(convention: Convention) -> list[Invitation]:
    """The latest invitations revoked (their people are no longer members)."""
    return list(
        Invitation.objects.filter(convention=convention, revoked_at__isnull=False)
        .select_related("user")
        .order_by("-revoked_at", "-pk")[:REVOKED_SHOWN]
    )


def member_of_or_404(convention: Convention, user_id: int, now) -> MemberRow:
    """One member of the convention, as a row of the list; 404 for anyone else."""
    try:
        membership = Membership.objects.select_related("user").get(
            convention=convention, user_id=user_id
        )
    except Membership.DoesNotExist:
        raise Http404(_("This person is not a member of this convention.")) from None
    user = membership.user
    sheets = list(ActionSheet.objects.filter(convention=convention, pilots=user).order_by("number"))
    invitation = Invitation.objects.filter(convention=convention, user=user).first()
    state, moment = state_and_date(invitation, now)
    return MemberRow(membership, user, sheets, invitation, state, moment)
