"""Shared by the API's tests: a token per user, and a client that sends it."""

from django.test import Client

from api import tokens


def bearer(user, name="outil"):
    """A new token of `user` (its text)."""
    return tokens.create(user, name)[1]


def api_client(user=None, token=None):
    """A test client sending `user`'s new token (or `token`) as `Authorization: Bearer`."""
    text = token or bearer(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {text}")
