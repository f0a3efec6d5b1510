"""Saving a fiche action without ever losing someone else's update."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import merge
from .forms import edit_data
from .history import SheetHistory
from .models import ActionSheet, Step, one_history_record

if TYPE_CHECKING:
    import datetime
    from collections.abc import Sequence

    from django.contrib.auth.models import User
    from django.forms import BaseInlineFormSet
    from django.http import QueryDict

    from .forms import ActionSheetForm, NoteForm
    from .history import Entry
    from .models import ProgressNote


class StaleSheet(Exception):
    """The sheet was saved by someone else since the user opened it."""

    def __init__(self, sheet: ActionSheet, entries: list[Entry]) -> None:
        super().__init__(f"Sheet {sheet.pk} changed meanwhile")
        self.sheet = sheet
        self.entries = entries  # the history entries made since the user's version


def claim_version(sheet: ActionSheet, expected_version: int) -> None:
    """Move the sheet from `expected_version` to the next one, or raise StaleSheet.

    One conditional UPDATE: of two saves from the same version, exactly one matches a row,
    on every database and without locks held across the request.
    """
    claimed = ActionSheet.objects.filter(pk=sheet.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not claimed:
        raise StaleSheet(sheet, changes_since(sheet, expected_version))
    sheet.version = expected_version + 1


def bump_version(sheet: ActionSheet) -> None:
    """A new version of the sheet, whatever the current one (changes that cannot conflict)."""
    ActionSheet.objects.filter(pk=sheet.pk).update(version=F("version") + 1)
    sheet.version = ActionSheet.objects.values_list("version", flat=True).get(pk=sheet.pk)


def changes_since(sheet: ActionSheet, version: int) -> list[Entry]:
    """History entries (newest first) made after the sheet stood at `version`."""
    current = ActionSheet.objects.get(pk=sheet.pk)
    sheet.version = current.version
    since = (
        sheet.history.filter(version__gt=version)
        .order_by("history_date")
        .values_list("history_date", flat=True)
        .first()
    )
    if since is None:
        return []
    return [entry for entry in SheetHistory(sheet).entries() if entry.when >= since]


@transaction.atomic
def save_sheet(
    form: ActionSheetForm, formsets: Sequence[BaseInlineFormSet], expected_version: int
) -> ActionSheet:
    """Save the edit form and its formsets as one new version of the sheet (one record)."""
    sheet = form.instance
    claim_version(sheet, expected_version)
    with one_history_record(sheet):
        sheet = form.save()
    for formset in formsets:
        formset.instance = sheet
        formset.save()
    return sheet


@dataclass
class EditOutcome:
    """What became of an edit: saved (`sheet`, with the colleague's changes merged in when
    `merged`), or forms to show again: a merge with conflicts for the user to resolve, or the
    merged input refused by validation."""

    sheet: ActionSheet | None = None
    merged: merge.Merge | None = None
    conflicts: list[merge.Conflict] = field(default_factory=list)
    forms: tuple | None = None  # (form, formsets) to show again
    entries: list[Entry] = field(default_factory=list)  # what changed meanwhile


MERGE_ATTEMPTS = 3


def save_sheet_merging(
    form: ActionSheetForm,
    formsets: dict[str, BaseInlineFormSet],
    base: dict | None,
    bind: Callable[[QueryDict, ActionSheet], tuple],
) -> EditOutcome:
    """Save valid edit forms; if the sheet changed since the form's version (or the form
    carries none), merge the user's input with the current sheet (actions.merge) and save the
    result when nothing conflicts. `bind(data, sheet)` builds the forms for merged data."""
    sheet = form.instance
    expected = form.cleaned_data.get("version")
    if expected is not None:
        try:
            return EditOutcome(sheet=save_sheet(form, list(formsets.values()), expected))
        except StaleSheet:
            pass
    mine = merge.state_of_forms(form, formsets)
    base_version = base["version"] if base else expected
    for _attempt in range(MERGE_ATTEMPTS):
        try:
            return merge_and_save(sheet, mine, base, base_version, bind)
        except StaleSheet:
            continue  # saved again meanwhile (SQLite takes no row lock): merge with that one
    raise StaleSheet(sheet, [])


@transaction.atomic
def merge_and_save(
    sheet: ActionSheet,
    mine: dict[str, Any],
    base: dict[str, Any] | None,
    base_version: int | None,
    bind: Callable[[QueryDict, ActionSheet], tuple],
) -> EditOutcome:
    """One merge of the user's input with the current sheet, the sheet's row locked meanwhile
    (PostgreSQL), so that merges of one sheet run one after the other."""
    current = ActionSheet.objects.select_for_update().get(pk=sheet.pk)
    theirs = merge.state_of(current)
    result = merge.merge(base, theirs, mine)
    if result.conflicts:
        merge.attribute(result.conflicts, current, base_version)
        merge.describe(result.conflicts, theirs)
        data = edit_data(
            result, current.version, merge.sign(theirs, merge.pending(result.conflicts))
        )
        new_form, new_formsets = bind(data, current)
        all([new_form.is_valid(), *(f.is_valid() for f in new_formsets.values())])
        return EditOutcome(
            conflicts=result.conflicts,
            forms=(new_form, new_formsets),
            entries=changes_since(current, base_version or 0),
        )
    data = edit_data(result, current.version, merge.sign(theirs))
    new_form, new_formsets = bind(data, current)
    if not all([new_form.is_valid(), *(f.is_valid() for f in new_formsets.values())]):
        return EditOutcome(forms=(new_form, new_formsets))
    saved = save_sheet(new_form, list(new_formsets.values()), current.version)
    return EditOutcome(sheet=saved, merged=result)


@transaction.atomic
def create_sheet(form: ActionSheetForm, formsets: Sequence[BaseInlineFormSet]) -> ActionSheet:
    with one_history_record(form.instance):
        sheet = form.save()
    for formset in formsets:
        formset.instance = sheet
        formset.save()
    return sheet


@transaction.atomic
def add_note(sheet: ActionSheet, form: NoteForm, author: User) -> ProgressNote:
    """Record a follow-up note, and the status or progress it brings, as one version.

    A status or progress change is refused (StaleSheet) when the sheet changed since the user
    loaded the page: they decided on figures that are no longer the current ones. A note that
    completes the sheet below 100 % brings its progress to 100 (ActionSheet.complete_if_done,
    in its save()): `sheet.progress_set_to_100` then tells the view to say so.
    """
    changes = form.sheet_changes()
    if changes:
        claim_version(sheet, form.cleaned_data["version"])
    note = form.save(commit=False)
    note.sheet = sheet
    note.author = author
    note.save()
    if changes:
        for name, value in changes.items():
            setattr(sheet, name, value)
        sheet.save(update_fields=[*changes, "progress", "version"])
    return note


@transaction.atomic
def mark_step_done(sheet: ActionSheet, step: Step, done_on: datetime.date) -> bool:
    """Mark the step done on `done_on`, once: False (nothing written) when it already was.

    The step's row is locked first, so that two posts at once (a double click, two
    colleagues) write one change and one history entry.
    """
    locked = Step.objects.select_for_update().get(pk=step.pk)
    if locked.done_on is not None:
        step.done_on = locked.done_on
        return False
    # The step is part of the edit form: a new version keeps an open form from undoing it.
    bump_version(sheet)
    locked.done_on = done_on
    locked.save(update_fields=["done_on"])
    step.done_on = done_on
    return True


@transaction.atomic
def set_archived(sheet: ActionSheet, archived: bool) -> bool:
    """Archive (or restore) the sheet, once: False (nothing written) when it already was.

    An explicit state, not a toggle: a post sent twice, or by two people, cannot undo itself.
    """
    locked = ActionSheet.objects.select_for_update().get(pk=sheet.pk)
    if (locked.archived_at is not None) == archived:
        sheet.archived_at = locked.archived_at
        return False
    bump_version(locked)
    locked.archived_at = timezone.now() if archived else None
    locked.save(update_fields=["archived_at", "version"])
    sheet.archived_at, sheet.version = locked.archived_at, locked.version
    return True


def steps_outside_period(sheet: ActionSheet) -> list[Step]:
    """Steps of the sheet due outside its convention's period (a warning, not an error)."""
    convention = sheet.convention
    return [
        step
        for step in Step.objects.filter(sheet=sheet, due_on__isnull=False)
        # due_on__isnull=False: the test on None only narrows the type.
        if step.due_on is not None
        and not convention.start_year <= step.due_on.year <= convention.end_year
    ]
