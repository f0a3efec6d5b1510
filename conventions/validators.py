"""Validators for French public identifiers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Five characters: the department (01–95, 2A/2B for Corsica, 97x overseas) and the commune.
INSEE_CODE_RE = r"^([0-9]{2}|2[AB])[0-9]{3}$"
SIREN_RE = r"^[0-9]{9}$"


def luhn_ok(digits: str) -> bool:
    """True when the string of digits passes the Luhn checksum (SIREN, SIRET)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_insee_code(value: str) -> None:
    if not re.match(INSEE_CODE_RE, value):
        raise ValidationError(
            _(
                "An INSEE code has 5 characters: 5 digits, "
                "or 2A/2B followed by 3 digits for Corsica."
            ),
            code="invalid_insee",
        )
    if value[:2] == "20":
        raise ValidationError(
            _("Corsican communes use 2A or 2B, not 20."),
            code="invalid_insee",
        )


def validate_siren(value: str) -> None:
    if not re.match(SIREN_RE, value) or not luhn_ok(value):
        raise ValidationError(
            _("A SIREN number has 9 digits and a valid check digit."),
            code="invalid_siren",
        )
