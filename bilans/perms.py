"""Access to the yearly bilans: every reader of the convention reads them; a sheet's pilots and
the coordinators fill its review; coordinators validate, reopen and write the year's synthesis.

Outsiders get 404, read-only members 403 on a write, anonymous visitors the login page
(`login_required`); a year outside the period, or not begun yet, is as missing as an unknown page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404
from django.utils import timezone

from actions.perms import get_sheet_for_user_or_404, is_sheet_editor
from conventions.perms import ConventionAccess, get_convention_access_or_404

from .models import SheetReview, year_refusal

if TYPE_CHECKING:
    from actions.models import ActionSheet
    from conventions.perms import AuthenticatedHttpRequest


def can_edit_review(access: ConventionAccess, sheet: ActionSheet) -> bool:
    """The sheet's pilots and the coordinators (and superusers) fill its review, as they edit
    the sheet (an archived sheet's review is read-only); the review's lock is told apart.
    Unlike the sheet, the review stays open after the convention ended."""
    return is_sheet_editor(access, sheet)


def can_validate_review(access: ConventionAccess) -> bool:
    """Coordinators (and superusers) validate a submitted review, naming the approving COPIL."""
    return access.is_coordinator


def can_reopen_review(access: ConventionAccess) -> bool:
    """Only coordinators (and superusers) reopen a validated review."""
    return access.is_coordinator


def can_edit_synthesis(access: ConventionAccess) -> bool:
    """Coordinators (and superusers) write the year's synthesis; the other members read it."""
    return access.is_coordinator


def check_year(access: ConventionAccess, year: int) -> None:
    """404, told in French, for a year outside the convention's period or not begun yet."""
    refusal = year_refusal(access.convention, year, timezone.localdate())
    if refusal:
        raise Http404(refusal)


def get_year_for_user_or_404(
    request: AuthenticatedHttpRequest, slug: str, year: int
) -> ConventionAccess:
    """The convention access, for a reader of convention `slug`, of a year that has a bilan."""
    access = get_convention_access_or_404(request, slug)
    check_year(access, year)
    return access


def get_review_for_user_or_404(
    request: AuthenticatedHttpRequest, slug: str, year: int, number: int
) -> tuple[ConventionAccess, ActionSheet, SheetReview]:
    """The access, the sheet `number` of convention `slug` and its review of `year` (a new,
    unsaved draft when none was started): a sheet of another convention is as missing as one
    that does not exist."""
    access, sheet = get_sheet_for_user_or_404(request, slug, number)
    check_year(access, year)
    review = (
        SheetReview.objects.select_related("submitted_by", "validated_by", "validated_meeting")
        .filter(sheet=sheet, year=year)
        .first()
    )
    if review is None:
        review = SheetReview(sheet=sheet, year=year, version=0)
    review.sheet = sheet
    return access, sheet, review
