"""Authentication of the API: a personal token in `Authorization: Bearer <token>`, and nothing
else (no session: no cookie, hence no CSRF to consider). Every refusal is a 401 with
`WWW-Authenticate: Bearer`, counted per client address so that guessing is throttled."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from . import tokens
from .throttling import AnonymousThrottle


def refuse(request, error):
    """Raise `error` (a 401), or 429 once this client was refused too often."""
    throttle = AnonymousThrottle()
    if not throttle.allow_request(request, None):
        raise exceptions.Throttled(throttle.wait())
    raise error


class BearerTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None  # the view's permission answers 401 (APIView.permission_denied)
        if header[0].lower() != b"bearer" or len(header) != 2:
            refuse(
                request,
                exceptions.AuthenticationFailed(
                    _("Send your token as “Authorization: Bearer <token>”.")
                ),
            )
        try:
            text = header[1].decode("ascii")
        except UnicodeDecodeError:
            text = ""
        token = tokens.find(text)
        if token is None:
            refuse(
                request,
                exceptions.AuthenticationFailed(_("This token is unknown or was revoked.")),
            )
        tokens.touch(token)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
