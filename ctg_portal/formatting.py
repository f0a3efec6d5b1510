"""French formats shared by templates, the admin, charts, history and exports: one each."""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.utils import timezone, translation
from django.utils.translation import gettext as _

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


def format_measure(value: Decimal | int | float | str | None, decimals: int) -> str:
    """A measure (an indicator's value, baseline or target) with at least `decimals` places,
    and never fewer than it holds: 18.00 → '18' with 0 places, '18,00' with 2; 17.50 → '17,5'
    with 0 places (nothing the value holds is rounded away); None → '—'."""
    if value is None or value == "":
        return DASH
    number = Decimal(str(value) if isinstance(value, float) else value).normalize()
    exponent = number.as_tuple().exponent
    held = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return format_number(number, places=max(decimals, held))


# A space before : ; ? ! (or none, the mark ending a word), in the portal's own French text.
BEFORE_MARK = re.compile(r"(?:[ \u00a0\u202f]|(?<=[^\s%(]))([:;?!])(?=\s|$)")


def french_spacing(text: str) -> str:
    """The portal's own text with French spacing: a no-break space before ':', ';', '?' and
    '!' ('31/12/2024: 18' → '31/12/2024 : 18'), so that no line starts with the mark.

    For the sentences the portal builds (a translated template, before the user's values are
    put in it): a user's text keeps its own spacing, and a time (10:05) or an address
    (https://) is left as it is. Text in another language than French is returned unchanged.
    """
    if not (translation.get_language() or "").startswith("fr"):
        return text
    return BEFORE_MARK.sub(NBSP + r"\1", text)


def format_day(day: datetime.date) -> str:
    """31/12/2025: the French date."""
    return day.strftime("%d/%m/%Y")


def format_dated(day: datetime.date, shown: str) -> str:
    """A value and its date, as a line of an export or of the admin tells it:
    '31/12/2024 : 18' (`shown`, already formatted)."""
    template = french_spacing(translation.gettext("%(date)s: %(value)s"))
    return template % {"date": format_day(day), "value": shown}


# Between the items of a list told in one line: "31/12/2023 : 12 ; 31/12/2024 : 18".
LIST_SEPARATOR = f"{NBSP}; "


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


def format_moment(moment: datetime.datetime) -> str:
    """12/03/2024 à 10 h 05, in the portal's time zone (histories, conflicts, restores)."""
    local = timezone.localtime(moment)
    return _("%(date)s at %(hour)s h %(minute)s") % {
        "date": local.strftime("%d/%m/%Y"),
        "hour": local.strftime("%H").lstrip("0") or "0",
        "minute": local.strftime("%M"),
    }
