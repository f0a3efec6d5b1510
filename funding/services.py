"""Writes to a convention's funding that span several rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from .history import PaymentEntry, payment_history
from .models import FundingAmount, FundingLine, Payment, PendingImport

if TYPE_CHECKING:
    from decimal import Decimal

    from django.contrib.auth.models import User

    from conventions.models import Convention

    from .forms import AmountsForm, PaymentCorrectionForm


class AmountsChanged(Exception):
    """Cells changed by someone else between the form's check and the write."""

    def __init__(self, conflicts: list[tuple[FundingLine, int, Decimal | None]]) -> None:
        super().__init__(f"{len(conflicts)} amount(s) changed meanwhile")
        self.conflicts = conflicts


@transaction.atomic
def save_amounts(form: AmountsForm) -> int:
    """Write the cells the user changed, all or nothing; the number written.

    The lines concerned are locked, then each cell is checked again against the value the user
    saw: of two saves of one cell at once, the second sees the first's value and is refused
    (AmountsChanged) unless it writes the same amount. Cells the user left alone are not
    written, so a colleague's change to them stays.
    """
    touched = form.touched()
    line_ids = sorted({line.pk for line, _year, _seen, _new in touched})
    list(FundingLine.objects.select_for_update().filter(pk__in=line_ids).order_by("pk"))
    current = {
        (line_id, year): planned
        for line_id, year, planned in FundingAmount.objects.filter(line__in=line_ids).values_list(
            "line_id", "year", "planned"
        )
    }
    conflicts = form.conflicts(current)
    if conflicts:
        raise AmountsChanged(conflicts)
    written = 0
    for line, year, _seen, new in touched:
        if current.get((line.pk, year)) == new:
            continue  # already so (the same change made by someone else)
        amount, created = FundingAmount.objects.get_or_create(
            line=line, year=year, defaults={"planned": new}
        )
        if not created:
            amount.planned = new
            amount.save(update_fields=["planned"])
        written += 1
    return written


# --- payments: correct or cancel, never delete ----------------------------------------------

CORRECTED_FIELDS = ["amount", "paid_on", "kind", "note"]


class PaymentChanged(Exception):
    """The payment was corrected or cancelled by someone else since the user's version."""

    def __init__(self, payment: Payment, entries: list[PaymentEntry]) -> None:
        super().__init__(f"Payment {payment.pk} changed meanwhile")
        self.payment = payment
        self.entries = entries  # what changed since the user's version, newest first


class PaymentCancelled(Exception):
    """A cancelled payment cannot be corrected."""


def check_version(payment: Payment, seen_version: int) -> None:
    """PaymentChanged when the (locked) payment moved past `seen_version`, the version the
    user's form was drawn from."""
    if payment.version != seen_version:
        entries = [e for e in payment_history(payment) if e.version > seen_version]
        raise PaymentChanged(payment, entries)


@transaction.atomic
def correct_payment(payment_id: int, form: PaymentCorrectionForm, user: User) -> Payment | None:
    """Apply the correction of `form` (amount, date, kind, note) with its reason, kept in the
    history record; None when it changes nothing.

    The row is locked, then its version compared with the one the form was drawn from: of two
    corrections from one version, the second waits for the first, sees a new version and is
    refused (PaymentChanged), whatever it holds. A cancelled payment is refused
    (PaymentCancelled): it stays as it was cancelled.
    """
    cleaned = form.cleaned_data
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.is_cancelled:
        raise PaymentCancelled(payment)
    check_version(payment, cleaned["version"])
    changed = [name for name in CORRECTED_FIELDS if getattr(payment, name) != cleaned[name]]
    if not changed:
        return None
    for name in changed:
        setattr(payment, name, cleaned[name])
    payment.version += 1
    payment._change_reason = cleaned["reason"]  # type: ignore[attr-defined]
    payment._history_user = user  # type: ignore[attr-defined]
    payment.save(update_fields=[*changed, "version"])
    return payment


@transaction.atomic
def cancel_payment(payment_id: int, reason: str, seen_version: int, user: User) -> bool:
    """Cancel the payment, with its reason: it is kept, shown struck and counted nowhere.

    False (nothing written) when it already was cancelled: a cancellation sent twice, or by
    two colleagues at once, is recorded once. A payment corrected since the user's version is
    refused (PaymentChanged): the user decided on figures that are no longer its own.
    """
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.is_cancelled:
        return False
    check_version(payment, seen_version)
    payment.cancelled_at = timezone.now()
    payment.cancelled_by = user
    payment.cancel_reason = reason
    payment.version += 1
    payment._change_reason = reason  # type: ignore[attr-defined]
    payment._history_user = user  # type: ignore[attr-defined]
    payment.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason", "version"])
    return True


# --- imports: the preview waits in the database, not in the session ------------------------


def store_preview(convention: Convention, user: User, payload: list[dict[str, Any]]) -> str:
    """Keep a valid preview's rows until its confirmation; its token.

    The user's former previews of this convention are dropped (the newest one is the one
    they mean to confirm, as when it lived in the session), and everyone's expired ones.
    """
    now = timezone.now()
    with transaction.atomic():
        PendingImport.objects.filter(convention=convention, user=user).delete()
        PendingImport.objects.expired(now).delete()
        pending = PendingImport.objects.create(
            convention=convention, user=user, payload=payload, created_at=now
        )
    return pending.token


def take_preview(convention: Convention, user: User, token: str) -> list[dict[str, Any]] | None:
    """The rows of the pending import `token` of this user and convention, taken once: it is
    deleted in the same transaction. None when there is none (unknown, someone else's,
    expired, or already taken: a confirm sent twice, even at once, applies once)."""
    with transaction.atomic():
        pending = (
            PendingImport.objects.live(timezone.now())
            .select_for_update()
            .filter(token=token, convention=convention, user=user)
            .first()
        )
        if pending is None:
            return None
        # Two confirms at once both may have read the row: the one whose delete finds it gone
        # (it waited for the other's commit) has nothing to apply.
        deleted, _rows = PendingImport.objects.filter(pk=pending.pk).delete()
        if not deleted:
            return None
        return pending.payload
