"""Who may renew a convention: its coordinators (and superusers) and the managers of its CAF.
The other members get 403, outsiders 404 (`get_convention_access_or_404`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime

    from conventions.models import Convention
    from conventions.perms import ConventionAccess


def can_renew(access: ConventionAccess) -> bool:
    """Coordinators (and superusers) and the managers of the convention's CAF renew it: the
    new convention is theirs to prepare, with the CAF's funding."""
    return access.is_coordinator or access.is_caf_manager


def renewal_is_due(convention: Convention, today: datetime.date) -> bool:
    """The dashboard offers the renewal from the convention's last year on (when the next one
    is prepared), until it is renewed; the wizard itself stays open to those who `can_renew`
    at any time (an early renewal, a terminated convention)."""
    return today.year >= convention.end_year and not convention.has_successor
