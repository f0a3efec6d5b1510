"""The API's throttles (DRF's, on the default cache): per user for a valid token, per client
address for everything else — wrong tokens included, counted where they are refused
(`authentication.refuse`), since DRF checks throttles only after authentication passed.

The rates are read on each request (DRF's own classes read them once, at import), so that
tests and deployments may change `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`."""

import logging

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from ctg_portal.throttle import client_address

logger = logging.getLogger(__name__)


class _Rated(SimpleRateThrottle):
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        """As DRF's, but a cache that does not answer (Redis down) lets the request through
        with a warning (ctg_portal.throttle does the same): never a 500."""
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.warning("API throttle %s not counted: the cache does not answer.", self.scope)
            return True

    def get_ident(self, request):
        return client_address(getattr(request, "_request", request))


class TokenUserThrottle(_Rated):
    """Requests per user, whichever of their tokens they use."""

    scope = "api_user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonymousThrottle(_Rated):
    """Requests without a valid token (the schema, failed attempts), per client address."""

    scope = "api_anon"

    def get_cache_key(self, request, view):
        user = getattr(request, "_user", None)
        if user is not None and user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
