from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render

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
