"""The feeds' answers: iCalendar with validators (ETag, Last-Modified, 304), throttled, and the
regeneration of a person's address from the account page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ctg_portal.formatting import display_name
from ctg_portal.forms import OnceForm, submit_once
from ctg_portal.http import etag_of, plain_not_found, post_to, with_validators
from ctg_portal.throttle import too_many

from . import calendars, queries, services

# Requests per client in 10 minutes (settings.FEEDS_THROTTLE overrides them, e.g. in tests).
# A calendar client fetches a feed every few minutes at most; the personal limit counts per
# address *and* token, since Google's and Microsoft's fetchers share their addresses.
THROTTLE = {"personal": 60, "public": 120}
MAX_AGE = 300


def limit(scope):
    return getattr(settings, "FEEDS_THROTTLE", THROTTLE)[scope]


def ics_response(request, body, state_key, filename, cache_control):
    """The body with its validators, or 304 when the client holds it already."""
    etag = etag_of(body)
    return with_validators(
        request,
        body,
        etag=etag,
        last_modified=services.changed_at(state_key, etag).timestamp(),
        content_type="text/calendar; charset=utf-8",
        disposition=f'inline; filename="{filename}"',
        cache_control=cache_control,
    )


@require_safe
def personal(request, token):
    """A person's feed: their steps due and their conventions' meetings. No login (a calendar
    cannot log in): the token is the credential, and an unknown, replaced or deactivated one
    answers 404."""
    refused = too_many(request, "feeds:personal", limit("personal"), key=token)
    if refused:
        return refused
    feed = queries.feed_by_token(token)
    if feed is None:
        # Wrong addresses are counted per client too: one who tries many is slowed down.
        return too_many(request, "feeds:personal-unknown", limit("personal")) or plain_not_found(
            _("No calendar at this address: it was replaced or never existed.")
        )
    user = feed.user
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        body = calendars.personal_calendar(
            display_name(user),
            queries.personal_steps(user, timezone.localdate(now)),
            queries.personal_meetings(user, now),
        )
    response = ics_response(
        request, body, f"user:{user.pk}", "ctg.ics", f"private, max-age={MAX_AGE}"
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def public(request, slug):
    """The publishable meetings of a public convention, without any name: 404 unless the
    convention is public."""
    refused = too_many(request, "feeds:public", limit("public"))
    if refused:
        return refused
    convention = queries.public_convention(slug)
    if convention is None:
        return plain_not_found(_("No such public convention."))
    with translation.override(settings.LANGUAGE_CODE):
        body = calendars.public_calendar(
            convention, queries.public_meetings(convention, timezone.now())
        )
    return ics_response(
        request,
        body,
        f"convention:{convention.pk}",
        f"instances-{convention.slug}.ics",
        f"public, max-age={MAX_AGE}",
    )


@login_required
@post_to("account:home")
def regenerate(request):
    """Replace the person's feed address. The form carries a one-time token (OnceForm): a
    double click or a reload of the post regenerates once, and the replay is told the address
    shown is the one in force."""
    form = OnceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This form has expired: reload the page and enter it again."))
        return redirect("account:home")
    _feed, first = submit_once(
        request.user, form.cleaned_data["submission"], lambda: services.regenerate(request.user)
    )
    if first:
        messages.success(
            request,
            _(
                "Your calendar has a new address: the previous one stopped working. "
                "Subscribe your calendars to the new one."
            ),
        )
    else:
        messages.info(request, _("The address was already replaced: here it is."))
    return redirect("account:home")
