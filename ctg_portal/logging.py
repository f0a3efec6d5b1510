"""Logging filters: a refused access is an event, not an error."""

import logging


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
