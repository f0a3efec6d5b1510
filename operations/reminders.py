"""The weekly reminders: what each pilot, coordinator and owner of decisions is told, and
sending it once a week.

A pilot is reminded of the sheets they pilot, a coordinator of every sheet of their convention:
the steps due within 14 days, the late steps, the sheets without a follow-up note for 90 days
(archived, completed and abandoned sheets left out). Every member, whatever their role, is also
told the open decisions of steering meetings they own (`committees.models.Decision.owner`),
overdue ones first and flagged (`DecisionQuerySet.with_overdue`, the one definition), then by
due date, those without one last. All of it grouped by convention: only the conventions where
the person is a member now (a pilot or coordinator for the sheets; an owner of decisions who
left the convention is told nothing of them), and whose period is not over (after its last year
every step left would be late: the digest would only repeat it).

The digests of everyone are computed with a fixed number of queries (`digests`); each e-mail is
claimed, sent and recorded in one transaction (`send_digest`), so that a command run twice, or
on two servers at once, sends it once.
"""

from __future__ import annotations

import datetime
import smtplib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse

from accounts.mail import absolute_url, send_portal_mail
from accounts.models import SentNotification
from accounts.notifications import account_url, reachable
from actions.models import ActionSheet, Step
from committees.models import Decision, Meeting
from conventions.models import Convention, Membership, running_condition

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet

# Steps due within this many days are announced.
DUE_WITHIN_DAYS = 14
# A sheet without a follow-up note for this many days is pointed out.
SILENCE_DAYS = 90
# Items listed per section of a convention; the rest is counted, with a link to the list.
SECTION_LIMIT = 20

KIND = SentNotification.Kind.WEEKLY_DIGEST
# The roles told of sheets; the open decisions a member owns are told whatever their role.
ROLES = [Membership.Role.PILOT, Membership.Role.COORDINATOR]


def week_key(day: datetime.date) -> str:
    """The ISO week of `day`, as the digest's record names it: "2026-W49"."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def is_digest_day(day: datetime.date) -> bool:
    """The digest goes out on settings.REMINDERS_WEEKDAY, or on a later day of the same week
    when it has not gone out yet (a day the cron missed)."""
    return day.isoweekday() >= settings.REMINDERS_WEEKDAY


@dataclass
class Item:
    """One line of a digest: a step (with its due date) or a silent sheet (with its last note)."""

    sheet_number: int
    sheet_title: str
    url: str
    step_title: str = ""
    due_on: datetime.date | None = None
    last_note_on: datetime.date | None = None


@dataclass
class DecisionItem:
    """An open decision the recipient owns: its text (shortened), its meeting (the template
    writes `meeting.label`, "COPIL du 14/03/2025", in the e-mail's language), its due date."""

    text: str
    meeting: Meeting
    url: str
    due_on: datetime.date | None
    is_overdue: bool


T = TypeVar("T", Item, DecisionItem)


@dataclass
class Section(Generic[T]):
    items: list[T]
    total: int
    more_url: str

    @property
    def more(self) -> int:
        """How many items are not listed (beyond SECTION_LIMIT)."""
        return self.total - len(self.items)


@dataclass
class ConventionDigest:
    convention: Convention
    role: str
    dashboard_url: str
    late: Section[Item]
    upcoming: Section[Item]
    silent: Section[Item]
    decisions: Section[DecisionItem]
    overdue_decisions: int  # among all the open decisions owned, listed or not

    @property
    def role_label(self) -> str:
        return str(Membership.Role(self.role).label)


@dataclass
class Digest:
    user: User
    conventions: list[ConventionDigest] = field(default_factory=list)

    def count(self, section: str) -> int:
        return sum(getattr(c, section).total for c in self.conventions)

    def context(self, today: datetime.date) -> dict[str, Any]:
        return {
            "user": self.user,
            "conventions": self.conventions,
            "late_count": self.count("late"),
            "upcoming_count": self.count("upcoming"),
            "silent_count": self.count("silent"),
            "decision_count": self.count("decisions"),
            "overdue_decision_count": sum(c.overdue_decisions for c in self.conventions),
            "sheet_item_count": sum(map(self.count, ("late", "upcoming", "silent"))),
            "today": today,
            "due_within": DUE_WITHIN_DAYS,
            "silence_days": SILENCE_DAYS,
            "account_url": account_url(),
        }


def section(items: list[T], more_url: str) -> Section[T]:
    return Section(items=items[:SECTION_LIMIT], total=len(items), more_url=more_url)


def list_url(convention: Convention, role: str, user_id: int, **filters: str | int) -> str:
    """The convention's sheet list, narrowed to the pilot's sheets for a pilot."""
    if role == Membership.Role.PILOT:
        filters["pilote"] = user_id
    query = f"?{urlencode(filters)}" if filters else ""
    return absolute_url(reverse("actions:list", args=[convention.slug]) + query)


def recipients(today: datetime.date) -> QuerySet[Membership]:
    """The memberships whose holder gets this week's digest: pilots, coordinators and the
    members owning an open decision of the convention, who can receive it (reachable), who
    have not received it yet this week, of conventions whose period is not over."""
    users = reachable(get_user_model().objects.all(), "weekly_digest")
    sent = SentNotification.objects.filter(user=OuterRef("user"), kind=KIND, key=week_key(today))
    owns_open_decision = Decision.objects.open().filter(
        owner=OuterRef("user"), meeting__convention=OuterRef("convention")
    )
    return (
        Membership.objects.filter(
            Q(role__in=ROLES) | Exists(owns_open_decision),
            running_condition(today, "convention__"),
            user__in=users.values("pk"),
        )
        .exclude(Exists(sent))
        .select_related("user", "convention")
        .order_by("user__email", "user_id", "convention__title", "convention_id")
    )


def digests(today: datetime.date) -> list[Digest]:
    """This week's digests still to send, the empty ones left out: five queries whatever the
    number of people, conventions, sheets, steps and decisions."""
    memberships = list(recipients(today))
    if not memberships:
        return []
    # The sheets are read for the conventions of pilots and coordinators only.
    convention_ids = {m.convention_id for m in memberships if m.role in ROLES}
    pilots = {m.user_id for m in memberships if m.role == Membership.Role.PILOT}
    pilot_conventions = {m.convention_id for m in memberships if m.role == Membership.Role.PILOT}

    open_sheets = ActionSheet.objects.active().unfinished().filter(convention__in=convention_ids)
    due_steps = Step.objects.late(today) | Step.objects.upcoming(today, DUE_WITHIN_DAYS)
    sheets = (
        open_sheets.with_note_silence(today, SILENCE_DAYS)
        .annotate(has_due_step=Exists(due_steps.filter(sheet=OuterRef("pk"))))
        .filter(Q(is_silent=True) | Q(has_due_step=True))
        .only("pk", "convention_id", "number", "title")
        .order_by("convention_id", "number")
    )
    sheets_of = defaultdict(list)
    for sheet in sheets:
        sheets_of[sheet.convention_id].append(sheet)

    piloted = defaultdict(set)
    if pilots:
        links = ActionSheet.pilots.through.objects.filter(
            user_id__in=pilots, actionsheet__convention_id__in=pilot_conventions
        ).values_list("user_id", "actionsheet_id")
        for user_id, sheet_id in links:
            piloted[user_id].add(sheet_id)

    steps_of = defaultdict(list)
    steps = (
        due_steps.filter(sheet__in=open_sheets.values("pk"))
        .with_lateness(today)
        .only("pk", "sheet_id", "title", "due_on")
        .order_by("due_on", "sheet_id", "position", "pk")
    )
    for step in steps:
        steps_of[step.sheet_id].append(step)

    decisions_of = defaultdict(list)
    decisions = (
        Decision.objects.open()
        .with_overdue(today)
        .filter(
            owner_id__in={m.user_id for m in memberships},
            meeting__convention_id__in={m.convention_id for m in memberships},
        )
        .select_related("meeting")
        .only(
            "pk",
            "text",
            "due_on",
            "owner",
            "meeting",
            "meeting__convention",
            "meeting__kind",
            "meeting__starts_at",
        )
        .order_by(
            F("is_overdue").desc(),
            F("due_on").asc(nulls_last=True),
            "meeting__starts_at",
            "pk",
        )
    )
    for decision in decisions:
        # Those of a convention the owner is no longer a member of are not looked up below.
        decisions_of[decision.owner_id, decision.meeting.convention_id].append(decision)

    result: dict[int, Digest] = {}
    for membership in memberships:
        part = convention_digest(membership, sheets_of, steps_of, piloted, decisions_of)
        if part is not None:
            result.setdefault(membership.user_id, Digest(membership.user)).conventions.append(part)
    return list(result.values())


def convention_digest(
    membership: Membership,
    sheets_of: dict[int, list[Any]],  # annotated sheets (is_silent, last_note_on)
    steps_of: dict[int, list[Any]],  # annotated steps (is_late)
    piloted: dict[int, set[int]],
    decisions_of: dict[tuple[int, int], list[Any]],  # annotated decisions (is_overdue)
) -> ConventionDigest | None:
    """What `membership`'s holder is told of its convention (None: nothing)."""
    convention, role, user_id = membership.convention, membership.role, membership.user_id
    sheets = sheets_of.get(convention.pk, []) if role in ROLES else []
    if role == Membership.Role.PILOT:
        sheets = [s for s in sheets if s.pk in piloted.get(user_id, ())]
    urls = {
        s.pk: absolute_url(reverse("actions:detail", args=[convention.slug, s.number]))
        for s in sheets
    }
    late: list[Item] = []
    upcoming: list[Item] = []
    steps = [(step, sheet) for sheet in sheets for step in steps_of.get(sheet.pk, [])]
    steps.sort(key=lambda pair: (pair[0].due_on, pair[1].number, pair[0].pk))
    for step, sheet in steps:
        item = Item(
            sheet.number, sheet.title, urls[sheet.pk], step_title=step.title, due_on=step.due_on
        )
        (late if step.is_late else upcoming).append(item)
    silent = [
        Item(s.number, s.title, urls[s.pk], last_note_on=s.last_note_on)
        for s in sheets
        if s.is_silent
    ]
    owned = [
        DecisionItem(
            text=str(decision),  # shortened (Decision.__str__)
            meeting=decision.meeting,
            url=absolute_url(
                reverse("committees:detail", args=[convention.slug, decision.meeting_id])
                + f"#decision-{decision.pk}"
            ),
            due_on=decision.due_on,
            is_overdue=decision.is_overdue,
        )
        for decision in decisions_of.get((user_id, convention.pk), [])
    ]
    if not (late or upcoming or silent or owned):
        return None
    return ConventionDigest(
        convention=convention,
        role=role,
        dashboard_url=absolute_url(reverse("portal:dashboard", args=[convention.slug])),
        late=section(late, list_url(convention, role, user_id, retard="on")),
        upcoming=section(upcoming, list_url(convention, role, user_id, tri="end")),
        silent=section(silent, list_url(convention, role, user_id)),
        decisions=section(owned, absolute_url(reverse("committees:list", args=[convention.slug]))),
        overdue_decisions=sum(item.is_overdue for item in owned),
    )


class Outcome:
    SENT = "sent"
    TAKEN = "taken"  # claimed by another run in the meantime
    FAILED = "failed"


def send_digest(digest: Digest, today: datetime.date) -> tuple[str, Exception | None]:
    """Claim this week's digest of the user, send it, and record it — in one transaction.

    The claim (the SentNotification row, unique per user, kind and week) is inserted first: a
    run that finds it taken (IntegrityError, also after waiting for another run's transaction
    on PostgreSQL) sends nothing. The commit follows the send: a failed send rolls the claim
    back, so the next run tries again. The one window left is a commit failing after the mail
    left (the database gone at that instant): the user could then get it twice, never zero.
    """
    try:
        with transaction.atomic():
            SentNotification.objects.create(user=digest.user, kind=KIND, key=week_key(today))
            send_portal_mail("weekly_digest", [digest.user.email], digest.context(today))
    except IntegrityError:
        return Outcome.TAKEN, None
    except (smtplib.SMTPException, OSError) as error:
        return Outcome.FAILED, error
    return Outcome.SENT, None
