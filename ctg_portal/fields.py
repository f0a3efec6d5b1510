"""Form fields for French input."""

import re

from django import forms

SPACES = ("\u00a0", "\u202f", " ")


class FrenchDecimalField(forms.DecimalField):
    """A decimal as French users type it: "12 500,50", "12500.50" or "12 500 €"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().removesuffix("€").strip()
            for space in SPACES:
                value = value.replace(space, "")
        return super().to_python(value)


# Ids beyond a 64-bit integer make some database drivers raise instead of finding nothing.
MAX_ID = 2**63 - 1


INTEGER = re.compile(r"-?[0-9]+")


def check_id(field, value):
    text = str(value).strip()
    # Only plain ASCII integers are read here ("--0", "²" are left to Django: invalid choice).
    if INTEGER.fullmatch(text) and not -MAX_ID <= int(text) <= MAX_ID:
        raise forms.ValidationError(
            field.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": value},
        )


class SafeModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that answers an out-of-range id with "invalid choice", not a 500."""

    def to_python(self, value):
        if value not in self.empty_values:
            check_id(self, value)
        return super().to_python(value)


class SafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """The same for several ids."""

    def _check_values(self, value):
        for item in value if isinstance(value, list | tuple) else [value]:
            check_id(self, item)
        return super()._check_values(value)
