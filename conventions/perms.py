"""Who may do what in a convention. Every view starts with one of these access helpers.

Outsiders of a convention get 404 (its existence is not revealed), read-only members get 403,
anonymous visitors are sent to the login page by `login_required` before any helper runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Convention, Membership

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest

    class AuthenticatedHttpRequest(HttpRequest):
        """The request of a view behind `login_required`: its user is signed in."""

        user: User


@dataclass
class ConventionAccess:
    """A user's standing in one convention: the convention and the role they hold in it."""

    user: User
    convention: Convention
    role: str | None  # None for a superuser without membership

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
        return self.role == Membership.Role.CAF_STAFF

    def require(self, allowed: bool) -> None:
        """Raise 403 unless `allowed`: the user is a member, but not entitled to this."""
        if not allowed:
            raise PermissionDenied(_("Your role in this convention does not allow this."))


def get_convention_access_or_404(request: AuthenticatedHttpRequest, slug: str) -> ConventionAccess:
    """The convention of `slug` with the user's role in it; 404 for anyone not a member."""
    user = request.user
    if user.is_superuser:
        try:
            convention = Convention.objects.get(slug=slug)
        except Convention.DoesNotExist:
            raise Http404(_("No such convention.")) from None
        role = (
            Membership.objects.filter(user=user, convention=convention)
            .values_list("role", flat=True)
            .first()
        )
        return ConventionAccess(user, convention, role)
    try:
        membership = Membership.objects.select_related("convention").get(
            user=user, convention__slug=slug
        )
    except Membership.DoesNotExist:
        raise Http404(_("No such convention.")) from None
    return ConventionAccess(user, membership.convention, membership.role)


def can_publish(access: ConventionAccess) -> bool:
    """Coordinators (and superusers) publish or withdraw the convention's public page."""
    return access.is_coordinator
