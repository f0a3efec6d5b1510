from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from conventions.models import Convention


@login_required
def home(request):
    """The conventions the user belongs to (every one for a superuser)."""
    conventions = (
        Convention.objects.for_user(request.user)
        .annotate(sheet_count=Count("action_sheets", distinct=True))
        .order_by("-start_year", "title")
    )
    conventions = list(conventions)
    return render(
        request,
        "home.html",
        {"conventions": conventions, "demo_data": any(c.has_demo_data for c in conventions)},
    )


@never_cache
def healthz(request):
    """200 when the database answers, 503 otherwise: for a load balancer's health probe."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
