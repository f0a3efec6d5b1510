"""The history of a payment as a coordinator reads it: who, when, what changed, and why.

Built from django-simple-history's records of the payment (one query): the first record tells
the payment as it was recorded, each later one what a correction or the cancellation changed,
with the reason given (the record's change reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ctg_portal.formatting import DASH, display_name, format_euros, format_moment

from .models import Payment

if TYPE_CHECKING:
    import datetime

TOLD = ["amount", "paid_on", "kind", "note"]


def told_value(name: str, value: Any) -> str:
    if value in (None, ""):
        return DASH
    if name == "amount":
        return format_euros(value)
    if name == "paid_on":
        return value.strftime("%d/%m/%Y")
    if name == "kind":
        return str(Payment.Kind(value).label)
    return str(value)


def label(name: str) -> str:
    return capfirst(str(Payment._meta.get_field(name).verbose_name))


@dataclass
class Change:
    label: str
    old: str | None  # None: the payment's first record (no former value)
    new: str


@dataclass
class PaymentEntry:
    when: datetime.datetime
    author: str
    version: int
    action: str  # recorded, corrected or cancelled
    reason: str
    changes: list[Change] = field(default_factory=list)

    @property
    def moment(self) -> str:
        return format_moment(self.when)

    @property
    def title(self) -> str:
        return {
            "recorded": _("Recorded"),
            "corrected": _("Corrected"),
            "cancelled": _("Cancelled"),
        }[self.action]


def payment_history(payment: Payment) -> list[PaymentEntry]:
    """[PaymentEntry] of the payment, newest first."""
    records = list(
        payment.history.select_related("history_user").order_by("history_date", "history_id")
    )
    entries = []
    previous = None
    for record in records:
        author = display_name(record.history_user) if record.history_user else _("the system")
        if previous is None:
            action = "recorded"
            changes = [Change(label(n), None, told_value(n, getattr(record, n))) for n in TOLD]
        else:
            cancelled = record.cancelled_at is not None and previous.cancelled_at is None
            action = "cancelled" if cancelled else "corrected"
            changes = [
                Change(label(n), told_value(n, getattr(previous, n)), told_value(n, new))
                for n in TOLD
                if (new := getattr(record, n)) != getattr(previous, n)
            ]
        entries.append(
            PaymentEntry(
                when=record.history_date,
                author=author,
                version=record.version,
                action=action,
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
        previous = record
    entries.reverse()
    return entries
