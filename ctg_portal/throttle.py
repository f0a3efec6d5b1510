"""Throttling of the views an anonymous client may call in a loop (feeds, open data): a fixed
window in Django's cache per client and per view, answered with 429 and Retry-After.

The counters live in the `default` cache. With the local-memory cache each server process
counts on its own (a client may get `limit` requests per process): a shared cache (Redis,
Memcached, the database cache) makes the limit exact. A cache that does not answer (Redis
down) counts nothing: the request is served and a warning logged, never a 500.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from axes.helpers import get_client_ip_address  # type: ignore[import-untyped]
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

# Ten minutes, the window of every limit unless a view says otherwise.
WINDOW_SECONDS = 10 * 60

logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    """The client's address, as the login throttle (django-axes) reads it: REMOTE_ADDR, or
    X-Forwarded-For behind a proxy (DJANGO_BEHIND_PROXY)."""
    return get_client_ip_address(request) or "unknown"


def _count(cache_key: str, window: int) -> int:
    cache.add(cache_key, 0, timeout=window)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired or evicted between add and incr: the window starts again
        cache.set(cache_key, 1, timeout=window)
        return 1


def too_many(
    request: HttpRequest, scope: str, limit: int, *, key: str = "", window: int = WINDOW_SECONDS
) -> HttpResponse | None:
    """Count this request for (`scope`, the client's address, `key`) and answer 429 once
    more than `limit` were counted in the current window, else None.

    `key` narrows the count further (a feed's token: each subscriber has their own limit even
    behind the shared addresses of Google's or Microsoft's calendar fetchers). It is hashed:
    no secret goes into the cache's keys.
    """
    now = time.time()
    window_index = int(now // window)
    ident = hashlib.sha256(f"{client_address(request)}|{key}".encode()).hexdigest()[:32]
    cache_key = f"throttle:{scope}:{ident}:{window_index}"
    try:
        count = _count(cache_key, window)
    except Exception:  # the shared cache (Redis) is down: serve rather than fail every request
        logger.warning("Throttle %s not counted: the cache does not answer.", scope, exc_info=True)
        return None
    if count <= limit:
        return None
    retry_after = max(1, math.ceil((window_index + 1) * window - now))
    response = HttpResponse(
        _("Too many requests: try again in a few minutes.") + "\n",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(retry_after)
    return response
