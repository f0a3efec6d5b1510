"""Pages that combine the domains: home, dashboard, public page, overview."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from conventions.models import Convention
from conventions.perms import get_convention_access_or_404

from .charts import dashboard_charts
from .dashboard import build_dashboard
from .overview import overview_rows

OVERVIEW_PAGE_SIZE = 50


@login_required
@require_safe
def home(request):
    """The conventions the user belongs to (every one for a superuser)."""
    conventions = list(
        Convention.objects.for_user(request.user)
        .annotate(
            sheet_count=Count(
                "action_sheets", filter=Q(action_sheets__archived_at__isnull=True), distinct=True
            )
        )
        .order_by("-start_year", "title")
    )
    return render(
        request,
        "portal/home.html",
        {"conventions": conventions, "demo_data": any(c.has_demo_data for c in conventions)},
    )


def render_dashboard(request, convention, *, public, access=None):
    dashboard = build_dashboard(convention, public=public)
    return render(
        request,
        "portal/dashboard.html",
        {
            "convention": convention,
            "access": access,
            "dashboard": dashboard,
            "charts": dashboard_charts(dashboard, public=public),
            "public": public,
        },
    )


@login_required
@require_safe
def dashboard(request, slug):
    access = get_convention_access_or_404(request, slug)
    return render_dashboard(request, access.convention, public=False, access=access)


@require_safe
def public_dashboard(request, slug):
    """The dashboard for residents: no login, no personal data, 404 unless published."""
    try:
        convention = Convention.objects.get(slug=slug, is_public=True)
    except Convention.DoesNotExist:
        raise Http404(_("No such public convention.")) from None
    return render_dashboard(request, convention, public=True)


@login_required
@require_safe
def overview(request):
    """Every convention of the user, one row each, with totals across them."""
    conventions = Convention.objects.for_user(request.user).order_by("title", "pk")
    page = Paginator(conventions, OVERVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    on_page = list(page)
    return render(
        request,
        "portal/overview.html",
        {
            "page": page,
            "figures": overview_rows(on_page, conventions),
            "count": page.paginator.count,
            "demo_data": any(c.has_demo_data for c in on_page),
            "today": timezone.localdate(),
        },
    )
