"""French formats shared by templates, the admin, charts, history and exports: one each."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

NBSP = "\u00a0"
DASH = "—"


def group_thousands(digits: str) -> str:
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return NBSP.join(groups)


def format_euros(value: Decimal | int | float | str | None) -> str:
    """241801 → '241 801 €' (no-break spaces); cents only when there are some: '12,50 €'."""
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    text = group_thousands(units)
    if cents != "00":
        text += "," + cents
    return f"{sign}{text}{NBSP}€"


def format_number(value: Decimal | int | float | str | None, places: int | None = None) -> str:
    """A decimal with a comma: 12.50 → '12,5' (or '12,50' with `places=2`); None → '—'.

    No thousands separator: values read back from a file or typed again stay one token.
    """
    if value is None or value == "":
        return DASH
    number = Decimal(value)
    text = f"{number:.{places}f}" if places is not None else f"{number.normalize():f}"
    return text.replace(".", ",")


def format_percent(value: object) -> str:
    """45 → '45 %' (a no-break space); None → '—'."""
    if value is None or value == "":
        return DASH
    return f"{value}{NBSP}%"


def display_name(user: AbstractUser | None) -> str:
    """How the portal names a person: their full name, else their username."""
    if user is None:
        return DASH
    return user.get_full_name() or user.username
