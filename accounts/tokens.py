"""One-time secrets (invitation links): random, stored hashed, compared in constant time."""

import hashlib
import hmac
import secrets


def new_token() -> tuple[str, str]:
    """A fresh random token and the digest to store: the token itself is never stored."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def matches(token: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(token), stored_digest)
