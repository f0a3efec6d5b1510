"""Logging filters: a refused access is an event, not an error; a secret in a path is masked."""

import logging
import re

# Addresses whose path is a credential: a calendar feed's token (the first group).
SECRET_PATHS = [r"/calendrier/([^\s\"?/]+?)(?:\.ics)?(?=[\s\"?]|$)"]


def redact(text: str, patterns=None) -> str:
    """`text` with the secret part of each credential address masked."""
    for pattern in patterns or _compiled:
        text = pattern.sub(_masked, text)
    return text


class QuietForbidden(logging.Filter):
    """Log 403 answers at INFO without a traceback: a member refused an action (a normal event
    of the permission rules) must not flood the logs with stack traces at WARNING."""

    def filter(self, record):
        response = getattr(record, "status_code", None)
        if response == 403:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info = None
            record.exc_text = None
        return True


class RedactSecretPaths(logging.Filter):
    """Mask the secret part of addresses whose path is a credential (a calendar feed's token)
    in the records of `django.request`, which logs every 4xx answer with its path ("Not Found:
    /calendrier/<token>.ics"): a wrong, old or throttled token is not written to the logs.

    `patterns` (from LOGGING) are regular expressions whose first group is the secret.
    """

    def __init__(self, patterns=()):
        super().__init__()
        self.patterns = [re.compile(pattern) for pattern in patterns or SECRET_PATHS]

    def filter(self, record):
        message = record.getMessage()
        redacted = redact(message, self.patterns)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def _masked(match):
    start, end = match.span(1)
    whole = match.group(0)
    offset = match.start(0)
    return whole[: start - offset] + "[masqué]" + whole[end - offset :]


_compiled = [re.compile(pattern) for pattern in SECRET_PATHS]
