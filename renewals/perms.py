"""Who may renew a convention: its coordinators (and superusers) and the managers of its CAF.
The other members get 403, outsiders 404 (`get_convention_access_or_404`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conventions.perms import ConventionAccess


def can_renew(access: ConventionAccess) -> bool:
    """Coordinators (and superusers) and the managers of the convention's CAF renew it: the
    new convention is theirs to prepare, with the CAF's funding."""
    return access.is_coordinator or access.is_caf_manager
