"""The "Calendar" section of the account page (ctg_portal.sections, place "account"), registered
by FeedsConfig.ready."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.mail import absolute_url
from ctg_portal.forms import OnceForm
from ctg_portal.sections import Section

from .services import feed_of


def feed_address(token: str) -> str:
    return absolute_url(reverse("feeds:personal", args=[token]))


def account_calendar(request, access, *, user):
    """The address of the user's feed (created on this first display: a GET may create it,
    once), how to subscribe to it, and the button that replaces it."""
    feed = feed_of(user)
    return Section(
        "feeds/account_calendar.html",
        {
            "anchor": "calendar",
            "title": _("Calendar"),
            "feed_url": feed_address(feed.token),
            "regenerate_form": OnceForm(),
        },
    )
