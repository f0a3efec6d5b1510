"""The session mode: what the coordinator projects in the meeting room, one agenda item per
screen, and the attendance marked from it.

The agenda is read whole (a fixed number of queries, whatever the number of items); the page
shows one item, its position in the agenda and the links to the previous and next ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ctg_portal.formatting import display_name

from . import queries
from .models import AgendaItem, Attendance, Meeting

if TYPE_CHECKING:
    import datetime

    from django.contrib.auth.models import User


@dataclass
class SessionPage:
    """The item shown (None when the agenda is empty), its number (1…), the agenda's length
    and the numbers of the previous and next items (None at either end)."""

    item: AgendaItem | None
    number: int
    count: int
    previous: int | None
    next: int | None

    @property
    def percent(self) -> int:
        return round(100 * self.number / self.count) if self.count else 0


def session_page(meeting: Meeting, number: int, today: datetime.date) -> SessionPage:
    """Item `number` of the meeting's agenda (counted from 1, in the agenda's order), its
    sheets with their steps and latest notes; a number past either end shows the nearest
    item."""
    agenda = queries.agenda_of(meeting, today, details=True)
    count = len(agenda)
    if not count:
        return SessionPage(None, 0, 0, None, None)
    number = min(max(number, 1), count)
    return SessionPage(
        item=agenda[number - 1],
        number=number,
        count=count,
        previous=number - 1 if number > 1 else None,
        next=number + 1 if number < count else None,
    )


def requested_number(value: str | None) -> int:
    """The item asked for by `?point=N`: 1 for anything but a positive number."""
    try:
        return max(int(value or 1), 1)
    except ValueError:
        return 1


def attendance_rows(meeting: Meeting) -> list[Attendance]:
    """The meeting's attendees, members by name then organisations by name, each with `name`."""
    rows = list(Attendance.objects.filter(meeting=meeting).select_related("user", "partner"))
    for row in rows:
        row.name = display_name(row.user) if row.user_id else row.partner.name
    rows.sort(key=lambda row: (row.partner_id is not None, row.name.lower(), row.pk))
    return rows


class AttendanceMarkForm(forms.Form):
    """One attendee's state, marked during the meeting: an attendee of this meeting only."""

    attendance = forms.IntegerField(min_value=1)
    status = forms.ChoiceField(choices=Attendance.Status.choices, label=_("Attendance"))

    def __init__(self, *args, meeting: Meeting, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.meeting = meeting

    def clean_attendance(self) -> Attendance:
        pk = self.cleaned_data["attendance"]
        try:
            return Attendance.objects.select_related("user", "partner").get(
                pk=pk, meeting=self.meeting
            )
        except Attendance.DoesNotExist:
            raise forms.ValidationError(
                _("This person is not on this meeting’s attendance list: nothing was changed.")
            ) from None


@transaction.atomic
def mark_attendance(meeting: Meeting, attendance: Attendance, status: str, user: User) -> bool:
    """Set an attendee's state, once: False (nothing written) when it already was.

    An explicit state, not a toggle: a post sent twice cannot undo itself. The meeting row is
    locked first (two marks at once write one after the other), and the meeting moves to its
    next version with a history record, so a meeting edit form opened before is told that the
    attendance changed instead of overwriting it.
    """
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    updated = Attendance.objects.filter(pk=attendance.pk, meeting=meeting).exclude(status=status)
    if not updated.update(status=status):
        attendance.status = status
        return False
    locked.version += 1
    locked._history_user = user  # type: ignore[attr-defined]
    locked.save(update_fields=["version"])
    attendance.status, meeting.version = status, locked.version
    return True
