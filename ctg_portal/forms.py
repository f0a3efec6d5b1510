"""Form helpers that know no domain: the date picker, date rules, unique clashes, forms that
write once."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import no_control_characters

T = TypeVar("T")

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


def save_or_clash(form: forms.BaseForm, save: Callable[[], T]) -> T | None:
    """Run `save()` (which writes `form.instance`); a unique clash with a row written meanwhile
    by someone else becomes the form's French error instead of a 500, and None is returned.

    The form validated uniqueness before, but two posts at once both pass that check: the
    database refuses the second insert. Validating the constraints again then sees the row the
    other one committed, and gives the constraint's own French message.
    """
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        try:
            form.instance.validate_constraints()  # type: ignore[attr-defined]
            form.instance.validate_unique()  # type: ignore[attr-defined]
        except ValidationError as error:
            form._update_errors(error)  # type: ignore[attr-defined]
            return None
        raise


class OnceForm(forms.Form):
    """Mixin field of forms whose post must write once: a token drawn when the form is shown."""

    submission = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        min_length=16,
        validators=[no_control_characters],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["submission"].initial = secrets.token_hex(16)
        self.fields["submission"].error_messages["required"] = _(
            "This form has expired: reload the page and enter it again."
        )

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        # A hidden field's error would show nowhere: it is told above the form.
        if "submission" in self.errors:
            self.add_error(None, self.errors["submission"])
        return cleaned


KEEP_SUBMISSIONS = datetime.timedelta(days=2)


def submit_once(user: Any, token: str, write: Callable[[], T]) -> tuple[T | None, bool]:
    """Run `write()` once for `token`, in one transaction with the token's record.

    Returns (result, True) the first time, (None, False) for a replay. Two posts of one token
    at once: the second waits on the token's unique index until the first commits, then is a
    replay; if the first failed (rolled back), the second writes.
    """
    from .models import Submission

    with transaction.atomic():
        try:
            with transaction.atomic():
                Submission.objects.create(token=token, user=user)
        except IntegrityError:
            return None, False
        result = write()
    Submission.objects.filter(created_at__lt=timezone.now() - KEEP_SUBMISSIONS).delete()
    return result, True
