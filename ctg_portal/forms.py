"""Form helpers that know no domain: the date picker and date rules."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """The browser's date picker; it sends ISO dates whatever the language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=ISO_DATE)


def not_in_future(value: datetime.date | None) -> datetime.date | None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("This date is in the future."), code="future")
    return value
