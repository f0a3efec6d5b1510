"""What the feeds read: the steps and meetings of a person's feed, the publishable meetings of a
public convention, each in one query whatever their number."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Q, QuerySet, Subquery

from actions.models import ActionSheet, Step
from committees.models import Meeting
from conventions.models import Convention, Membership, running_condition

from .models import CalendarFeed

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# A personal feed holds the meetings from this many days ago on (about six months).
MEETINGS_SINCE_DAYS = 183


def feed_by_token(token: str) -> CalendarFeed | None:
    """The feed of an active user at this address, else None (an unknown, replaced or
    malformed token, or a deactivated account)."""
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token=token, user__is_active=True)
        .first()
    )


def last_change(model: type[Step] | type[Meeting]) -> Subquery:
    """The date of the row's latest history record (its last change), as a subquery."""
    records = model.history.model.objects.filter(id=OuterRef("pk"))
    return Subquery(records.order_by("-history_date").values("history_date")[:1])


def personal_steps(user: AbstractBaseUser, today: datetime.date) -> QuerySet[Step]:
    """The steps not done, with a due date, of the sheets the user pilots and of every sheet of
    the conventions they coordinate — sheets neither archived, completed nor abandoned, in
    conventions whose period is not over, and of which the user is a member now (someone who
    left a convention no longer sees its steps, even on a sheet they still pilot). Annotated
    with `last_modified`; the sheet and its convention come with each step."""
    member_of = Membership.objects.filter(user_id=user.pk).values("convention")
    coordinated = Membership.objects.filter(
        user_id=user.pk, role=Membership.Role.COORDINATOR
    ).values("convention")
    piloted = ActionSheet.pilots.through.objects.filter(user_id=user.pk).values("actionsheet")
    sheets = (
        ActionSheet.objects.active()
        .unfinished()
        .filter(running_condition(today, "convention__"), convention__in=member_of)
        .filter(Q(convention__in=coordinated) | Q(pk__in=piloted))
    )
    return (
        Step.objects.filter(sheet__in=sheets, done_on__isnull=True, due_on__isnull=False)
        .select_related("sheet__convention")
        .only(
            "pk",
            "title",
            "due_on",
            "sheet__number",
            "sheet__convention__slug",
            "sheet__convention__title",
        )
        .annotate(last_modified=last_change(Step))
        .order_by("due_on", "sheet__convention_id", "sheet__number", "position", "pk")
    )


def personal_meetings(user: AbstractBaseUser, now: datetime.datetime) -> QuerySet[Meeting]:
    """The meetings of the conventions the user is a member of (memberships only: a superuser
    or a CAF's staff get those of their own memberships), from about six months ago on,
    cancelled ones included (their calendars then remove them). Annotated with
    `last_modified`."""
    since = now - datetime.timedelta(days=MEETINGS_SINCE_DAYS)
    member_of = Membership.objects.filter(user_id=user.pk).values("convention")
    return (
        Meeting.objects.filter(convention__in=member_of, starts_at__gte=since)
        .select_related("convention")
        .only(
            "pk",
            "kind",
            "title",
            "starts_at",
            "place",
            "state",
            "version",
            "convention__slug",
            "convention__title",
        )
        .annotate(last_modified=last_change(Meeting))
        .order_by("starts_at", "pk")
    )


def public_convention(slug: str) -> Convention | None:
    return Convention.objects.filter(slug=slug, is_public=True).only("pk", "slug", "title").first()


def public_meetings(convention: Convention, now: datetime.datetime) -> QuerySet[Meeting]:
    """The publishable meetings of a public convention from about six months ago on, with only
    what the public may read: never attendance, minutes, decisions' owners or any name."""
    since = now - datetime.timedelta(days=MEETINGS_SINCE_DAYS)
    return (
        Meeting.objects.filter(convention=convention, is_public=True, starts_at__gte=since)
        .only("pk", "convention", "kind", "title", "starts_at", "place", "state", "version")
        .annotate(last_modified=last_change(Meeting))
        .order_by("starts_at", "pk")
    )
