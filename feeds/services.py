"""The writes of the feeds: a user's secret address (created once, regenerated on demand) and
the state that gives a feed its Last-Modified."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from .models import CalendarFeed, FeedState, new_token

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def feed_of(user: AbstractBaseUser) -> CalendarFeed:
    """The user's feed, created on first use. Two first displays at once create one: the
    user is unique, and get_or_create reads the row the other request inserted."""
    feed, _created = CalendarFeed.objects.get_or_create(user_id=user.pk)
    return feed


def regenerate(user: AbstractBaseUser) -> CalendarFeed:
    """Give the user's feed a new address: the old one answers 404 from now on."""
    feed = feed_of(user)
    feed.token = new_token()
    feed.regenerated_at = timezone.now()
    feed.save(update_fields=["token", "regenerated_at"])
    return feed


def changed_at(key: str, etag: str) -> datetime.datetime:
    """When the feed `key` began answering the body `etag`: now if it answered another body
    before (or none), else the time recorded then. One query when unchanged.

    Two requests that see a new body at once both write, a few milliseconds apart: either
    time is after the change, so a client is never told 304 for a body it has not seen.
    """
    now = timezone.now()
    state, created = FeedState.objects.get_or_create(
        key=key, defaults={"etag": etag, "changed_at": now}
    )
    if not created and state.etag != etag:
        FeedState.objects.filter(pk=state.pk).update(etag=etag, changed_at=now)
        return now
    return state.changed_at
