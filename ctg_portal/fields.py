"""Form fields for French input."""

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
