"""Validators shared by every domain's models and forms."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Control characters (NUL, ESC…) that nobody types and no spreadsheet format can hold.
# Tab, line feed and carriage return are text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@deconstructible
class NoControlCharacters:
    """Refuse a text holding a control character, with a French message naming it."""

    message = _("This text holds a control character (%(code)s): remove it.")
    code = "control_character"

    def __call__(self, value):
        found = CONTROL_CHARACTERS.search(str(value))
        if found:
            raise ValidationError(
                self.message, code=self.code, params={"code": f"U+{ord(found.group()):04X}"}
            )

    def __eq__(self, other):
        return isinstance(other, NoControlCharacters)

    def __hash__(self):
        return hash(self.code)


no_control_characters = NoControlCharacters()
