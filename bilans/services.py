"""Writes of the bilans, each in one transaction, none lost to a concurrent one.

A review and a year's bilan carry a `version`: every write claims it with one conditional
UPDATE (as actions.services.claim_version does for a sheet), from the version the form was
opened on (0: nothing saved yet, the first save inserts the row, and the unique (sheet, year)
refuses a second insert). Of two writes from one version one goes through; the other is
refused (Changed) and shown what changed, from the history. The review's states are explicit:
draft → submitted → validated, reopened by a coordinator back to draft; a state already reached
writes nothing.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actions.history import Change, Entry, author_name
from ctg_portal.formatting import DASH, display_name, format_moment, french_spacing

from .models import SheetReview, YearBilan

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from committees.models import Meeting

    from .forms import ReviewForm, SynthesisForm


class Changed(Exception):
    """Saved by someone else since the form was opened: `entries` tell what changed, `version`
    is the current one (the form carries it again, so that saving again applies the input)."""

    def __init__(self, obj: SheetReview | YearBilan, entries: list[Entry]) -> None:
        super().__init__(f"{type(obj).__name__} {obj.pk} changed meanwhile")
        self.entries = entries
        self.version = type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)


class Refused(Exception):
    """A write the review's state does not allow (told in French)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def claim(obj: SheetReview | YearBilan, expected: int) -> bool:
    """Move the row from version `expected` to the next, in one conditional UPDATE: of two
    writes from one version exactly one matches, on every database, without a lock held
    across the request."""
    model = type(obj)
    claimed = model.objects.filter(pk=obj.pk, version=expected).update(version=F("version") + 1)
    if claimed:
        obj.version = expected + 1
    return bool(claimed)


SKIPPED = {"id", "sheet", "convention", "year", "version"}


def shown(obj: Any, name: str, value: Any, people: dict[int, str], meetings: dict) -> str:
    field = type(obj)._meta.get_field(name)
    if value is None or value == "":
        return DASH
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if name == "validated_meeting":
        return meetings.get(value, "?")
    if field.many_to_one:
        return people.get(value, "?")
    if hasattr(value, "tzinfo"):
        return format_moment(value)
    return str(value)


def changes_since(obj: SheetReview | YearBilan, version: int) -> list[Entry]:
    """The changes made to `obj` after it stood at `version`, oldest first, from its history:
    one entry per write (who, when, each field as old → new)."""
    from django.contrib.auth import get_user_model

    from committees.models import Meeting

    current = type(obj).objects.get(pk=obj.pk)
    records = list(
        current.history.filter(version__gte=max(version, 1))
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    if version == 0:  # the user opened an empty form: everything written since is news
        records.insert(0, None)
    fields = [f for f in type(obj)._meta.concrete_fields if f.name not in SKIPPED]
    people_ids = {getattr(r, f.attname) for r in records if r for f in fields if f.many_to_one} - {
        None
    }
    people = {
        user.pk: display_name(user) for user in get_user_model().objects.filter(pk__in=people_ids)
    }
    meetings = {m.pk: m.label for m in Meeting.objects.filter(pk__in=people_ids)}
    entries = []
    for old, new in itertools.pairwise(records):
        entry = Entry(new.history_date, author_name(new))
        for f in fields:
            before = getattr(old, f.attname) if old else None
            after = getattr(new, f.attname)
            if before == after or (old is None and after in ("", None)):
                continue
            label = str(capfirst(f.verbose_name))
            if f.get_internal_type() == "TextField":
                text = french_spacing(_("%(field)s: text changed")) % {"field": label}
                entry.add(Change(label, text=text))
            else:
                entry.add(
                    Change(
                        label,
                        shown(obj, f.name, before, people, meetings),
                        shown(obj, f.name, after, people, meetings),
                    )
                )
        if entry.changes:
            entries.append(entry)
    return entries


def insert_first(obj: SheetReview | YearBilan, unique: dict[str, Any]) -> None:
    """The first write of a review or bilan; a row inserted meanwhile by someone else (the
    unique (sheet, year) or (convention, year) refuses the second insert) is a Changed."""
    obj.version = 1
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError:
        existing = type(obj).objects.filter(**unique).first()
        if existing is None:
            raise
        raise Changed(existing, changes_since(existing, 0)) from None


def claim_or_raise(obj: SheetReview | YearBilan, expected: int) -> None:
    if not claim(obj, expected):
        raise Changed(obj, changes_since(obj, expected))


LOCKED = gettext_lazy(
    "This review is validated: it is locked. A coordinator can reopen it to change it."
)


@transaction.atomic
def save_review(form: ReviewForm, user: User) -> SheetReview:
    """Save the review's text as its next version; submitted as well when the form says so."""
    review = form.instance
    expected = form.cleaned_data["version"]
    review._history_user = user
    if review.pk is None:
        if form.submits:
            review.state = SheetReview.State.SUBMITTED
            review.submitted_by, review.submitted_at = user, timezone.now()
        if expected != 0:
            raise Refused(_("This review was deleted meanwhile: reload the page."))
        insert_first(review, {"sheet": review.sheet, "year": review.year})
        return review
    claim_or_raise(review, expected)
    if review.is_locked:  # validated at the version the user opened: never writable
        raise Refused(str(LOCKED))
    if form.submits and review.state == SheetReview.State.DRAFT:
        review.state = SheetReview.State.SUBMITTED
        review.submitted_by, review.submitted_at = user, timezone.now()
    review.save()
    return review


@transaction.atomic
def validate_review(
    review: SheetReview, expected: int, user: User, meeting: Meeting | None
) -> bool:
    """Validate a submitted review, naming the approving meeting; False when it was already
    validated (nothing written)."""
    if review.pk is None:
        raise Refused(_("This review has not been started: it cannot be validated."))
    claim_or_raise(review, expected)
    if review.state == SheetReview.State.VALIDATED:
        transaction.set_rollback(True)
        return False
    if review.state != SheetReview.State.SUBMITTED:
        raise Refused(_("Only a submitted review can be validated: submit it first."))
    review._history_user = user  # type: ignore[attr-defined]
    review.state = SheetReview.State.VALIDATED
    review.validated_by, review.validated_at = user, timezone.now()
    review.validated_meeting = meeting
    review.save()
    return True


@transaction.atomic
def reopen_review(review: SheetReview, expected: int, user: User) -> bool:
    """Reopen a validated review (back to draft, its validation cleared; the history keeps who
    reopened it and when); False when it was not validated (nothing written)."""
    if review.pk is None:
        return False
    claim_or_raise(review, expected)
    if review.state != SheetReview.State.VALIDATED:
        transaction.set_rollback(True)
        return False
    review._history_user = user  # type: ignore[attr-defined]
    review.state = SheetReview.State.DRAFT
    review.validated_by = review.validated_at = review.validated_meeting = None
    review.save()
    return True


@transaction.atomic
def save_synthesis(form: SynthesisForm, user: User) -> YearBilan:
    """Save the year's synthesis as its next version."""
    bilan = form.instance
    expected = form.cleaned_data["version"]
    bilan._history_user = user
    if bilan.pk is None:
        insert_first(bilan, {"convention": bilan.convention, "year": bilan.year})
        return bilan
    claim_or_raise(bilan, expected)
    bilan.save()
    return bilan
