"""The portal's e-mails: French, plain text plus HTML, with absolute links to the portal.

Each e-mail is three templates under templates/emails/: `<name>_subject.txt`, `<name>.txt`
and `<name>.html` (which extends emails/base.html). The context gets `base_url`
(settings.PORTAL_BASE_URL) and `absolute`, a function making a path absolute.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def absolute_url(path: str) -> str:
    """`path` (from reverse()) on the portal's public address."""
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def build_mail(name: str, to: Iterable[str], context: dict) -> EmailMultiAlternatives:
    context = {**context, "base_url": settings.PORTAL_BASE_URL.rstrip("/")}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
        text = render_to_string(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, list(to))
    message.attach_alternative(html, "text/html")
    return message


def send_portal_mail(name: str, to: Iterable[str], context: dict) -> None:
    """Render and send the e-mail `name` (raises on a delivery failure: callers that record
    what they sent do so in the same transaction, so a failure records nothing)."""
    build_mail(name, to, context).send()
