"""Security headers that Django's own middleware does not set."""

import time

from django.conf import settings
from django.utils.cache import add_never_cache_headers, patch_cache_control


class SecurityHeadersMiddleware:
    """Add `Permissions-Policy` to every response (Django's middleware does not set it)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions_policy = settings.PERMISSIONS_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.permissions_policy)
        return response


class PrivatePagesMiddleware:
    """`Cache-Control: private, no-store` (and Django's other never-cache headers) on every
    response to a logged-in user: a shared proxy or the browser's disk never keeps a page or
    an export that holds a convention's data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


class SlidingSessionMiddleware:
    """End sessions after inactivity without writing the session on every request.

    The session's expiry is pushed back (by saving it) at most once every
    `SESSION_REFRESH_SECONDS`: a session then lasts between SESSION_COOKIE_AGE minus that
    interval and SESSION_COOKIE_AGE after the last request, for one write in a while instead of
    one write per page (Django's SESSION_SAVE_EVERY_REQUEST).
    """

    KEY = "_touched"

    def __init__(self, get_response):
        self.get_response = get_response
        self.interval = settings.SESSION_REFRESH_SECONDS

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            now = int(time.time())
            if now - session.get(self.KEY, 0) >= self.interval:
                session[self.KEY] = now  # marks the session modified: saved with a new expiry
        return response


def touch_session_on_login(sender, request, user, **kwargs):
    """Logging in saves the session anyway: start its inactivity clock then."""
    if hasattr(request, "session"):
        request.session[SlidingSessionMiddleware.KEY] = int(time.time())
