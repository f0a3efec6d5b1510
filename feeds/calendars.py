"""The feeds as iCalendar (RFC 5545), written by the `icalendar` library.

Times are in UTC ("…Z"), which every calendar client reads without a VTIMEZONE; steps are
all-day events. Each event's UID is stable (`step-<pk>@<host>`, `meeting-<pk>@<host>`), so a
calendar updates an event rather than adding it twice, and its DTSTAMP is its last change
(RFC 5545 §3.8.7.2, for a calendar without METHOD): the same data gives the same bytes, which
makes the body's hash a sound ETag.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from accounts.mail import absolute_url
from actions.models import Step
from committees.models import Meeting
from conventions.models import Convention

PRODID = "-//CTG Portal//FR"
# A meeting has a start and no end: calendars show it this long.
MEETING_DURATION = datetime.timedelta(hours=2)


def host() -> str:
    """The host of the portal's public address, the right-hand side of every UID."""
    return urlsplit(settings.PORTAL_BASE_URL).hostname or "ctg-portal"


def utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(microsecond=0)


def calendar(name: str, events: Iterable[Event]) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(event)
    return cal.to_ical()


def stamp(
    event: Event, last_modified: datetime.datetime | None, fallback: datetime.datetime
) -> None:
    """DTSTAMP and LAST-MODIFIED from the row's last change; a row without history (written in
    bulk) gets a fixed DTSTAMP and no LAST-MODIFIED."""
    if last_modified is None:
        event.add("dtstamp", utc(fallback))
    else:
        event.add("dtstamp", utc(last_modified))
        event.add("last-modified", utc(last_modified))


def step_event(step: Step) -> Event:
    due = step.due_on
    assert due is not None  # personal_steps keeps the dated steps only
    sheet = step.sheet
    convention = sheet.convention
    url = absolute_url(reverse("actions:detail", args=[convention.slug, sheet.number]))
    event = Event()
    event.add("uid", f"step-{step.pk}@{host()}")
    stamp(
        event,
        getattr(step, "last_modified", None),
        datetime.datetime.combine(due, datetime.time(), datetime.UTC),
    )
    event.add(
        "summary",
        _("Due: %(step)s (sheet %(number)s)") % {"step": step.title, "number": sheet.number},
    )
    event.add("description", f"{convention.title}\n{url}")
    event.add("dtstart", due)
    event.add("dtend", due + datetime.timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a deadline takes no time in the day
    event.add("url", url)
    return event


def meeting_event(meeting: Meeting, convention: Convention, url: str) -> Event:
    """A meeting: its kind and title, its time (two hours), its place, its state; never its
    attendance, minutes or any name (the public feed gives this event as it is)."""
    event = Event()
    event.add("uid", f"meeting-{meeting.pk}@{host()}")
    stamp(event, getattr(meeting, "last_modified", None), meeting.starts_at)
    event.add("sequence", meeting.version)
    event.add("summary", f"{meeting.get_kind_display()} — {meeting.title}")
    event.add("description", f"{convention.title}\n{url}")
    event.add("dtstart", utc(meeting.starts_at))
    event.add("dtend", utc(meeting.starts_at + MEETING_DURATION))
    if meeting.place:
        event.add("location", meeting.place)
    cancelled = meeting.state == Meeting.State.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("url", url)
    return event


def personal_calendar(name: str, steps: Iterable[Step], meetings: Iterable[Meeting]) -> bytes:
    events = [step_event(step) for step in steps]
    for meeting in meetings:
        slug = meeting.convention.slug
        url = absolute_url(reverse("committees:detail", args=[slug, meeting.pk]))
        events.append(meeting_event(meeting, meeting.convention, url))
    return calendar(_("CTG — %(name)s") % {"name": name}, events)


def public_calendar(convention: Convention, meetings: Iterable[Meeting]) -> bytes:
    url = absolute_url(reverse("portal:public", args=[convention.slug]))
    events = [meeting_event(meeting, convention, url) for meeting in meetings]
    return calendar(_("%(title)s — committees") % {"title": convention.title}, events)
