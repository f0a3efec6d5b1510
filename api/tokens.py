"""Personal API tokens: created with `secrets`, stored as a SHA-256 digest, found by their
non-secret prefix and compared in constant time. Nothing here caches an authentication: a
revoked token is refused on its next request."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import ApiToken

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

SCHEME = "ctg"
# last_used_at moves at most this often: one UPDATE a minute per token, not one per request.
TOUCH_EVERY = datetime.timedelta(minutes=1)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(user: AbstractBaseUser, name: str) -> tuple[ApiToken, str] | None:
    """A new token of `user` and its text (to show once), or None when the user already has
    `ApiToken.MAX_LIVE` live tokens. The user's row is locked so that two creations at once
    cannot pass the limit together."""
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if ApiToken.objects.live().filter(user=user).count() >= ApiToken.MAX_LIVE:
            return None
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=digest(secret))
    return token, f"{SCHEME}_{prefix}_{secret}"


def find(text: str) -> ApiToken | None:
    """The live token of an active user that `text` is, else None (malformed, unknown,
    revoked, or its user deactivated)."""
    scheme, _sep, rest = text.partition("_")
    prefix, _sep, secret = rest.partition("_")
    if scheme != SCHEME or not prefix or not secret or len(text) > 200:
        return None
    token = (
        ApiToken.objects.live()
        .select_related("user")
        .filter(prefix=prefix, user__is_active=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, digest(secret)):
        return None
    return token


def touch(token: ApiToken) -> None:
    """Record the token's use, at most once a minute: one UPDATE whose WHERE skips it when a
    request of the last minute did it already (no read-modify-write between servers)."""
    now = timezone.now()
    since = now - TOUCH_EVERY
    if token.last_used_at is not None and token.last_used_at >= since:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=since)
    ).update(last_used_at=now)


def revoke(user: AbstractBaseUser, pk: int) -> bool:
    """Revoke the user's token `pk` (another person's token is not found); True if it was live."""
    return bool(ApiToken.objects.live().filter(user=user, pk=pk).update(revoked_at=timezone.now()))


def tokens_of(user: AbstractBaseUser):
    """The user's tokens for the account page, the live ones first."""
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-pk"
    )
