"""Who may change a convention's funding (see conventions/perms.py for the access helpers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conventions.perms import ConventionAccess


def can_manage_funding(access: ConventionAccess) -> bool:
    """Coordinators, CAF staff and superusers record payments, edit amounts and import.

    Pilots and elected officials read the table and download its exports.
    """
    return access.is_coordinator or access.is_caf_staff
