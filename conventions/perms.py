"""Who may do what in a convention. Every view starts with one of these access helpers.

Outsiders of a convention get 404 (its existence is not revealed), read-only members get 403,
anonymous visitors are sent to the login page by `login_required` before any helper runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from ctg_portal.formatting import format_day

from .models import CafMembership, Convention, Membership

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest

    class AuthenticatedHttpRequest(HttpRequest):
        """The request of a view behind `login_required`: its user is signed in."""

        user: User


@dataclass
class ConventionAccess:
    """A user's standing in one convention: the convention, the role they hold in it and the
    role they hold at the convention's CAF (a CAF-level member may have no membership)."""

    user: User
    convention: Convention
    role: str | None  # None for a superuser or a CAF-level member without membership
    caf_role: str | None = None  # CafMembership.Role at the convention's CAF, if any

    @property
    def is_superuser(self) -> bool:
        return self.user.is_superuser

    @property
    def is_coordinator(self) -> bool:
        """Coordinators (and superusers) manage the whole convention."""
        return self.is_superuser or self.role == Membership.Role.COORDINATOR

    @property
    def is_pilot(self) -> bool:
        return self.role == Membership.Role.PILOT

    @property
    def is_caf_staff(self) -> bool:
        """CAF staff named in the convention (they manage its funding)."""
        return self.role == Membership.Role.CAF_STAFF

    @property
    def is_caf_manager(self) -> bool:
        """A manager at the convention's CAF: manages the funding of every convention of it."""
        return self.caf_role == CafMembership.Role.MANAGER

    @property
    def is_member(self) -> bool:
        """Holds a membership of the convention itself (not only a standing at its CAF)."""
        return self.role is not None

    @property
    def closed_reason(self) -> str | None:
        """Why the convention's sheets, steps, indicators and funding plan are read-only for
        this user (its period is over; superusers may still correct it), or None."""
        convention = self.convention
        if self.is_superuser or not convention.is_ended:
            return None
        return _(
            "This convention ended on %(date)s: its sheets, steps, indicators and funding "
            "lines are kept as they stood. Its bilans, evaluation, documents and payments "
            "remain open."
        ) % {"date": format_day(convention.last_day)}

    @property
    def is_open(self) -> bool:
        """The convention's plan may still change (see `closed_reason`)."""
        return self.closed_reason is None

    def require_open(self) -> None:
        """Raise 403, saying why, on a write to the plan of an ended convention."""
        reason = self.closed_reason
        if reason is not None:
            raise PermissionDenied(reason)

    def require(self, allowed: bool) -> None:
        """Raise 403 unless `allowed`: the user is a member, but not entitled to this."""
        if not allowed:
            raise PermissionDenied(_("Your role in this convention does not allow this."))


def role_subqueries(user: User, convention_ref: str = "pk") -> dict[str, Subquery]:
    """Annotations giving `user`'s role in a convention (`member_role`) and at its CAF
    (`caf_role`), the convention being `convention_ref` of the annotated rows: one query
    finds the object and the user's standing."""
    caf_ref = "caf" if convention_ref == "pk" else f"{convention_ref}__caf"
    return {
        "member_role": Subquery(
            Membership.objects.filter(user=user, convention=OuterRef(convention_ref))
            .order_by()
            .values("role")[:1]
        ),
        "caf_role": Subquery(
            CafMembership.objects.filter(user=user, caf=OuterRef(caf_ref))
            .order_by()
            .values("role")[:1]
        ),
    }


def get_convention_access_or_404(request: AuthenticatedHttpRequest, slug: str) -> ConventionAccess:
    """The convention of `slug` with the user's roles in it; 404 for anyone who is neither a
    member, nor a member of its CAF, nor a superuser."""
    user = request.user
    try:
        convention = (
            Convention.objects.select_related("successor", "predecessor")
            .annotate(**role_subqueries(user))
            .get(slug=slug)
        )
    except Convention.DoesNotExist:
        raise Http404(_("No such convention.")) from None
    member_role, caf_role = convention.member_role, convention.caf_role  # type: ignore[attr-defined]
    if member_role is None and caf_role is None and not user.is_superuser:
        raise Http404(_("No such convention."))
    return ConventionAccess(user, convention, member_role, caf_role)


def can_publish(access: ConventionAccess) -> bool:
    """Coordinators (and superusers) publish or withdraw the convention's public page."""
    return access.is_coordinator
