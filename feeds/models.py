"""A user's calendar feed (its secret address) and what each feed last answered (so that its
Last-Modified moves whenever its content does)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    """A random address part: 32 bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret address of a user's personal feed. The token is the credential (calendar
    clients cannot log in), so it is kept readable: the account page shows the address again
    on every visit. Regenerating replaces it, and the old address stops working at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("user"),
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    regenerated_at = models.DateTimeField(_("regenerated on"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)


class FeedState(models.Model):
    """The body a feed last answered (its ETag) and since when: the feed's Last-Modified.

    The latest change among the events is not enough: an event that leaves the feed (a step
    done, a member removed, a meeting no longer publishable) changes the body without a later
    change to any event left in it, and a client asking If-Modified-Since would be told 304.
    """

    key = models.CharField(_("key"), max_length=100, unique=True)
    etag = models.CharField(_("ETag"), max_length=100)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("feed state")
        verbose_name_plural = _("feed states")

    def __str__(self):
        return self.key
