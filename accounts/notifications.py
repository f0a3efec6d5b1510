"""Who receives the portal's e-mails (`reachable`), and a switch for the e-mails sent as data
changes (a pilot named on a sheet): operations that write data in bulk (seed, demonstration
data, restore, dataset generation) run `muted()`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Exists, OuterRef
from django.urls import reverse

from .mail import absolute_url
from .models import NotificationSettings

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet

_muted: ContextVar[bool] = ContextVar("notifications_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def is_muted() -> bool:
    return _muted.get()


def reachable(users: QuerySet[User], kind: str) -> QuerySet[User]:
    """The users of the queryset `users` who receive e-mails of `kind` (a field of
    NotificationSettings): active, with an e-mail address and a usable password (an invitee
    who has not chosen one yet is told by the invitation), and who did not turn `kind` off."""
    turned_off = NotificationSettings.objects.filter(user=OuterRef("pk"), **{kind: False})
    return (
        users.filter(is_active=True)
        .exclude(email="")
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .exclude(Exists(turned_off))
    )


def account_url() -> str:
    """The page where a user turns each kind of e-mail off, absolute."""
    return absolute_url(reverse("account:home"))
