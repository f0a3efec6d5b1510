"""Access to fiches actions: who reads, who edits (see conventions/perms.py for the rules)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from conventions.perms import ConventionAccess, get_convention_access_or_404, role_subqueries

from .models import ActionSheet

if TYPE_CHECKING:
    from conventions.perms import AuthenticatedHttpRequest


def can_edit_sheet(access: ConventionAccess, sheet: ActionSheet) -> bool:
    """The sheet's editors (`is_sheet_editor`) change it while the convention runs; an ended
    convention's sheets are read-only but for superusers (`ConventionAccess.closed_reason`)."""
    return access.is_open and is_sheet_editor(access, sheet)


def is_sheet_editor(access: ConventionAccess, sheet: ActionSheet) -> bool:
    """Coordinators and superusers answer for every sheet; a pilot for the sheets they pilot.

    Archived sheets are read-only for everyone (a coordinator restores them first). The
    yearly reviews follow this rule, and stay open after the convention ended.
    """
    if sheet.archived_at is not None:
        return False
    if access.is_coordinator:
        return True
    return access.is_pilot and sheet.pilots.filter(pk=access.user.pk).exists()


def can_create_sheet(access: ConventionAccess) -> bool:
    """Only coordinators (and superusers) create and archive sheets, while the convention
    runs."""
    return access.is_coordinator and access.is_open


can_archive_sheet = can_create_sheet


def get_sheet_for_user_or_404(
    request: AuthenticatedHttpRequest, slug: str, number: int
) -> tuple[ConventionAccess, ActionSheet]:
    """The convention access and the sheet `number` of convention `slug`, for a member.

    One query finds the sheet, its convention and the user's role in it; a sheet of a
    convention the user is not a member of is as missing as a sheet that does not exist.
    """
    user = request.user
    try:
        sheet = (
            ActionSheet.objects.select_related(
                "convention__successor",
                "convention__predecessor",
                "objective",
                "lead_partner",
                "predecessor__convention",
                "successor__convention",
            )
            .with_lateness(timezone.localdate())
            .annotate(**role_subqueries(user, "convention"))
            .get(convention__slug=slug, number=number)
        )
    except ActionSheet.DoesNotExist:
        # The convention itself may be unknown or closed to the user: the same 404 either way.
        get_convention_access_or_404(request, slug)
        raise Http404(_("No such action sheet.")) from None
    if sheet.member_role is None and sheet.caf_role is None and not user.is_superuser:
        raise Http404(_("No such convention."))
    return ConventionAccess(user, sheet.convention, sheet.member_role, sheet.caf_role), sheet


def get_editable_sheet_or_403(
    request: AuthenticatedHttpRequest, slug: str, number: int
) -> tuple[ConventionAccess, ActionSheet]:
    """As `get_sheet_for_user_or_404`, then 403 unless the user may edit the sheet."""
    access, sheet = get_sheet_for_user_or_404(request, slug, number)
    access.require_open()
    access.require(can_edit_sheet(access, sheet))
    return access, sheet
