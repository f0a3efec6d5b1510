"""Who may change a convention's funding (see conventions/perms.py for the access helpers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from .models import Payment

if TYPE_CHECKING:
    from conventions.models import Convention
    from conventions.perms import ConventionAccess


def can_manage_funding(access: ConventionAccess) -> bool:
    """Coordinators, CAF staff named in the convention, managers of its CAF and superusers
    record payments, edit amounts and import.

    Pilots, elected officials and CAF-level staff read the table and download its exports.
    """
    return access.is_coordinator or access.is_caf_staff or access.is_caf_manager


def can_plan_funding(access: ConventionAccess) -> bool:
    """Those who manage the funding change its lines and planned amounts (by hand or by
    import) while the convention runs; payments stay open after it (the solde comes later)."""
    return can_manage_funding(access) and access.is_open


def get_payment_or_404(convention: Convention, pk: int) -> Payment:
    """The payment `pk` of one of the convention's lines, after the access helper: a payment
    of another convention is as missing as one that does not exist."""
    return get_object_or_404(
        Payment.objects.of_convention(convention).select_related(
            "funding_amount__line", "cancelled_by"
        ),
        pk=pk,
    )
