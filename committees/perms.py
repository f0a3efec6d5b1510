"""Access to the meetings: every member of the convention reads them (CAF-level members
included), coordinators (and superusers) create and edit them and record their decisions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404
from django.utils.translation import gettext as _

from conventions.perms import ConventionAccess, get_convention_access_or_404

from .models import Decision, Meeting

if TYPE_CHECKING:
    from conventions.perms import AuthenticatedHttpRequest


def can_manage_meetings(access: ConventionAccess) -> bool:
    """Coordinators prepare the meetings, record attendance, minutes and decisions."""
    return access.is_coordinator


def get_meeting_or_404(
    request: AuthenticatedHttpRequest, slug: str, meeting_id: int
) -> tuple[ConventionAccess, Meeting]:
    """The convention access and meeting `meeting_id` of convention `slug`, for a reader of the
    convention: a meeting of another convention is as missing as one that does not exist."""
    access = get_convention_access_or_404(request, slug)
    try:
        meeting = Meeting.objects.get(pk=meeting_id, convention=access.convention)
    except Meeting.DoesNotExist:
        raise Http404(_("No such meeting.")) from None
    meeting.convention = access.convention
    return access, meeting


def get_managed_meeting_or_403(
    request: AuthenticatedHttpRequest, slug: str, meeting_id: int
) -> tuple[ConventionAccess, Meeting]:
    """As `get_meeting_or_404`, then 403 unless the user manages the meetings."""
    access, meeting = get_meeting_or_404(request, slug, meeting_id)
    access.require(can_manage_meetings(access))
    return access, meeting


def get_decision_or_404(meeting: Meeting, decision_id: int) -> Decision:
    try:
        decision = Decision.objects.get(pk=decision_id, meeting=meeting)
    except Decision.DoesNotExist:
        raise Http404(_("No such decision.")) from None
    decision.meeting = meeting
    return decision
