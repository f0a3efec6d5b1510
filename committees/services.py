"""Writes of the meetings pages, each in one transaction, none lost to a concurrent one.

- A meeting and a decision carry a `version`: a save claims it with one conditional UPDATE (as
  actions.services.claim_version does for a sheet), so of two edits opened on one version
  exactly one goes through; the other is refused (MeetingChanged / DecisionChanged) and shown
  what changed, from the history.
- A decision that changes its sheets goes through the sheets' own save path: each sheet's
  version is claimed from the version the decision form was opened on
  (actions.services.claim_version: a sheet saved meanwhile refuses the whole decision, shown
  what changed), the change is saved as one history record of the sheet whose reason names
  the meeting ("décision du COPIL du 14/03/2025").
- A decision's state is an explicit state: set once, a second post writes nothing.
"""

from __future__ import annotations

import datetime
import itertools
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from actions.history import Change, Entry, author_name
from actions.models import ActionSheet, one_history_record
from actions.services import StaleSheet, claim_version
from ctg_portal.formatting import DASH, display_name, format_moment, french_spacing

from .models import AgendaItem, Decision, Meeting

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.contrib.auth.models import User
    from django.db.models import Field

    from .forms import DecisionForm, MeetingForm


class MeetingChanged(Exception):
    """The meeting was saved by someone else since the user opened it."""

    def __init__(self, meeting: Meeting, entries: list[Entry]) -> None:
        super().__init__(f"Meeting {meeting.pk} changed meanwhile")
        self.meeting = meeting
        self.entries = entries
        self.version = Meeting.objects.values_list("version", flat=True).get(pk=meeting.pk)


class DecisionChanged(Exception):
    """The decision was saved by someone else since the user opened it."""

    def __init__(self, decision: Decision, entries: list[Entry]) -> None:
        super().__init__(f"Decision {decision.pk} changed meanwhile")
        self.decision = decision
        self.entries = entries
        self.version = Decision.objects.values_list("version", flat=True).get(pk=decision.pk)


class SheetsChanged(Exception):
    """Sheets the decision changes were saved since the user opened the form: nothing written.

    `stale`: one actions.services.StaleSheet per sheet (its `entries` tell what changed);
    `versions`: the sheets' current versions, for the form to carry if the user saves again.
    """

    def __init__(self, stale: list[StaleSheet]) -> None:
        super().__init__("Sheets changed meanwhile")
        self.stale = stale
        self.versions = {error.sheet.pk: error.sheet.version for error in stale}


class SheetRefused(Exception):
    """The change cannot apply to a sheet (archived, or against its rules): nothing written."""

    def __init__(self, sheet: ActionSheet, message: str) -> None:
        super().__init__(message)
        self.sheet = sheet
        self.message = message


# --- versions and what changed -------------------------------------------------------------


def claim(model: type[Meeting] | type[Decision], pk: int, expected: int | None) -> bool:
    """Move the row from version `expected` to the next, in one conditional UPDATE: of two
    saves from one version exactly one matches, on every database, without locks held across
    the request."""
    if expected is None:
        return False
    return bool(model.objects.filter(pk=pk, version=expected).update(version=F("version") + 1))


def shown(field: Field, value: Any, users: dict[int, str]) -> str:
    if value is None or value == "":
        return DASH
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.many_to_one:
        return users.get(value, "?")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        return format_moment(value)
    if isinstance(value, datetime.date):
        return date_format(value, "d/m/Y")
    return str(value)


def changes_since(obj: Meeting | Decision, version: int) -> list[Entry]:
    """The changes made to `obj` after it stood at `version`, oldest first, from its history:
    one Entry per save (who, when, each field as old → new)."""
    records = list(
        obj.history.filter(version__gte=version)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    fields = [
        f
        for f in type(obj)._meta.concrete_fields
        if f.editable and f.name not in {"id", "convention", "meeting"}
    ]
    user_ids = {
        getattr(record, f.attname) for record in records for f in fields if f.many_to_one
    } - {None}
    users = {}
    if user_ids:
        people = get_user_model().objects.filter(pk__in=user_ids)
        users = {user.pk: display_name(user) for user in people}
    entries = []
    for old, new in itertools.pairwise(records):
        entry = Entry(new.history_date, author_name(new))
        for field in fields:
            before, after = getattr(old, field.attname), getattr(new, field.attname)
            if before == after:
                continue
            label = str(capfirst(field.verbose_name))
            if field.get_internal_type() == "TextField":
                text = french_spacing(_("%(field)s: text changed")) % {"field": label}
                entry.add(Change(label, text=text))
            else:
                entry.add(Change(label, shown(field, before, users), shown(field, after, users)))
        if not entry.changes and isinstance(obj, Meeting):
            entry.add(Change("", text=_("Agenda or attendance changed")))
        if entry.changes:
            entries.append(entry)
    return entries


# --- meetings ------------------------------------------------------------------------------


def renumber_agenda(meeting: Meeting) -> None:
    """Positions 1, 2, 3… in the agenda's order (an item left without one comes last)."""
    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"))
    for index, item in enumerate(items, start=1):
        item.position = index
    AgendaItem.objects.bulk_update(items, ["position"])


def save_formsets(meeting: Meeting, formsets: Iterable) -> None:
    for formset in formsets:
        formset.instance = meeting
        formset.save()
    renumber_agenda(meeting)


@transaction.atomic
def create_meeting(form: MeetingForm, formsets: Iterable, user: User) -> Meeting:
    meeting = form.instance
    meeting._history_user = user
    meeting = form.save()
    save_formsets(meeting, formsets)
    return meeting


@transaction.atomic
def save_meeting(
    form: MeetingForm, formsets: Iterable, expected_version: int | None, user: User
) -> Meeting:
    """Save the meeting, its agenda and attendance as its next version; MeetingChanged (and
    nothing written) when it was saved meanwhile."""
    meeting = form.instance
    if not claim(Meeting, meeting.pk, expected_version):
        raise MeetingChanged(meeting, changes_since(meeting, expected_version or 0))
    meeting.version = (expected_version or 0) + 1
    meeting._history_user = user
    meeting = form.save()
    save_formsets(meeting, formsets)
    return meeting


# --- decisions -----------------------------------------------------------------------------


def sheet_changes(decision: Decision) -> dict[str, Any]:
    """{sheet field: new value} of the decision's change (the pilot aside)."""
    changes: dict[str, Any] = {}
    if decision.new_status:
        changes["status"] = decision.new_status
    if decision.new_planned_start:
        changes["planned_start"] = decision.new_planned_start
    if decision.new_planned_end:
        changes["planned_end"] = decision.new_planned_end
    return changes


def apply_to_sheets(
    decision: Decision,
    sheets: Iterable[ActionSheet],
    versions: dict[int, int],
    user: User,
) -> None:
    """Apply the decision's change to `sheets`, each from the version the user saw
    (`versions`), each as one history record whose reason names the meeting. Raises
    SheetsChanged (a sheet saved meanwhile) or SheetRefused (archived, or the change breaks a
    rule of the sheet); the caller's transaction then writes nothing."""
    sheets = sorted(sheets, key=lambda sheet: sheet.pk)  # one lock order: no deadlock
    for sheet in sheets:
        if sheet.archived_at is not None:
            raise SheetRefused(
                sheet,
                _("Sheet %(number)s is archived: restore it before a decision changes it.")
                % {"number": sheet.number},
            )
    stale = []
    for sheet in sheets:
        try:
            if sheet.pk not in versions:
                raise StaleSheet(sheet, [])
            claim_version(sheet, versions[sheet.pk])
        except StaleSheet as error:
            stale.append(error)
    if stale:
        raise SheetsChanged(stale)
    reason = decision.meeting.decision_reason()
    changes = sheet_changes(decision)
    for sheet in sheets:
        # Claimed (its row now locked on PostgreSQL): read as it stands.
        sheet.refresh_from_db()
        for name, value in changes.items():
            setattr(sheet, name, value)
        try:
            sheet.clean()
            sheet.validate_constraints()
        except ValidationError as error:
            raise SheetRefused(
                sheet,
                _("Sheet %(number)s: %(error)s")
                % {"number": sheet.number, "error": " ".join(error.messages)},
            ) from error
        with one_history_record(sheet):
            sheet._change_reason = reason  # type: ignore[attr-defined]
            sheet._history_user = user  # type: ignore[attr-defined]
            sheet.save(update_fields=[*changes, "progress", "version"])
            if decision.pilot_to_add_id:
                sheet.pilots.add(decision.pilot_to_add_id)
    decision.applied_at = timezone.now()


@transaction.atomic
def record_decision(form: DecisionForm, meeting: Meeting, user: User) -> Decision:
    """Record the decision of `form` on `meeting`, and apply its change to its sheets."""
    decision = form.save(commit=False)
    decision.meeting = meeting
    if decision.changes_sheets:
        apply_to_sheets(
            decision, form.cleaned_data["sheets"], form.cleaned_data["sheet_versions"], user
        )
    decision._history_user = user
    decision.save()
    form.save_m2m()
    return decision


@transaction.atomic
def save_decision(form: DecisionForm, expected_version: int | None, user: User) -> Decision:
    """Save the edited decision as its next version (DecisionChanged when saved meanwhile);
    a change of its sheets not applied yet is applied now."""
    decision = form.instance
    if not claim(Decision, decision.pk, expected_version):
        raise DecisionChanged(decision, changes_since(decision, expected_version or 0))
    decision.version = (expected_version or 0) + 1
    if decision.applied_at is None and decision.changes_sheets:
        apply_to_sheets(
            decision, form.cleaned_data["sheets"], form.cleaned_data["sheet_versions"], user
        )
    decision._history_user = user
    decision = form.save()
    return decision


@transaction.atomic
def set_decision_state(decision: Decision, state: str, user: User) -> bool:
    """Set the decision's state, once: False (nothing written) when it already was.

    An explicit state, not a toggle: a post sent twice, or by two people, cannot undo itself.
    The row is locked first, so two posts at once write one change and one history record.
    """
    locked = Decision.objects.select_for_update().get(pk=decision.pk)
    if locked.state == state:
        decision.state = state
        return False
    locked.state = state
    locked.version += 1
    locked._history_user = user  # type: ignore[attr-defined]
    locked.save(update_fields=["state", "version"])
    decision.state, decision.version = state, locked.version
    return True


def bump_version(obj: Meeting | Decision) -> None:
    """A new version of a meeting or decision, whatever the current one (a save from the
    back-office): a form opened before then meets a conflict."""
    model = type(obj)
    model.objects.filter(pk=obj.pk).update(version=F("version") + 1)
    obj.version = model.objects.values_list("version", flat=True).get(pk=obj.pk)
