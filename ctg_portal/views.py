from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

PROBE_SECONDS = 5


class _RolledBack(Exception):
    """Raised to roll back the health check's write."""


def database_writable():
    """True when the database answers within PROBE_SECONDS and accepts a write.

    The write (a temporary table on PostgreSQL, a table in the database file on SQLite, where
    a read-only file or a full disk would otherwise go unnoticed) is rolled back.
    """
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(f"SET LOCAL statement_timeout = {PROBE_SECONDS * 1000}")
                    cursor.execute("CREATE TEMPORARY TABLE healthz_probe (id integer)")
                else:
                    cursor.execute("CREATE TABLE healthz_probe (id integer)")
                cursor.execute("INSERT INTO healthz_probe VALUES (1)")
            raise _RolledBack
    except _RolledBack:
        return True
    except DatabaseError:
        return False


@never_cache
@require_safe
def healthz(request):
    """200 when the database answers and accepts a write, 503 otherwise: for a load balancer."""
    if not database_writable():
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
