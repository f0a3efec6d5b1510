"""Work that must not hold a request: run after the answer, in a thread of the same process.

`BACKGROUND_TASKS = "thread"` (the default) starts a thread per task; "inline" runs the task at
once, in the caller (the test suite: its transactions are invisible to another connection).
The thread is not a daemon: a gunicorn worker that stops (a restart, `max_requests`) lets it
finish within its graceful timeout. It closes its database connections when done. What it
does must be safe to run twice or never (printouts.services claims its work in the database,
and takes it back from a worker that died after a lease).
"""

import logging
import threading

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


def _run(function, args):
    try:
        function(*args)
    except Exception:
        logger.exception("Background task %s failed", getattr(function, "__name__", function))
    finally:
        connections.close_all()


def run_in_background(function, *args) -> None:
    if getattr(settings, "BACKGROUND_TASKS", "thread") == "inline":
        try:
            function(*args)
        except Exception:
            logger.exception("Task %s failed", getattr(function, "__name__", function))
        return
    name = f"ctg-background-{getattr(function, '__name__', 'task')}"
    threading.Thread(target=_run, args=(function, args), name=name, daemon=False).start()
