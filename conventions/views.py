import hashlib

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from ctg_portal.charts import bar_chart
from ctg_portal.formatting import format_euros
from ctg_portal.http import method_not_allowed

from .dashboard import build_dashboard
from .models import Convention
from .overview import overview_rows
from .perms import get_convention_access_or_404

OVERVIEW_PAGE_SIZE = 50


def percent(value):
    return f"{value}\u00a0%"


def dashboard_charts(dashboard, *, public):
    """The dashboard's SVG charts; members' bars link to the filtered sheet list."""
    convention = dashboard.convention
    sheets_url = reverse("actions:list", args=[convention.slug])

    def link(**query):
        return None if public else f"{sheets_url}?{urlencode(query)}"

    objective_rows = [
        (
            _("Objective %(number)s") % {"number": group.key.number},
            group.progress,
            link(objective=group.key.pk),
            _("Objective %(number)s: %(progress)s, see its sheets")
            % {"number": group.key.number, "progress": percent(group.progress or 0)},
        )
        for group in dashboard.by_objective
    ]
    domain_rows = [
        (
            group.key.name,
            group.progress,
            link(domain=group.key.pk),
            _("%(domain)s: %(progress)s, see its sheets")
            % {"domain": group.key.name, "progress": percent(group.progress or 0)},
        )
        for group in dashboard.by_domain
    ]
    funding_rows = [(line.label, amount, None, "") for line, amount in dashboard.lines_this_year]
    year_rows = [(str(year), total, None, "") for year, _caf, _local, total in dashboard.per_year]
    return {
        "objectives": bar_chart(
            "chart-objectives",
            _("Average progress by strategic objective (%)"),
            objective_rows,
            maximum=100,
            formatter=percent,
        ),
        "domains": bar_chart(
            "chart-domains",
            _("Average progress by domain (%)"),
            domain_rows,
            maximum=100,
            formatter=percent,
        ),
        "funding": bar_chart(
            "chart-funding",
            _("Planned funding by line in %(year)s") % {"year": dashboard.year},
            funding_rows,
            formatter=format_euros,
        ),
        "years": bar_chart(
            "chart-years",
            _("Planned funding per year"),
            year_rows,
            formatter=format_euros,
        ),
    }


def render_dashboard(request, convention, *, public, access=None):
    # Lazy: built only when the template's cached fragment is missing (see versioning.py).
    dashboard = SimpleLazyObject(lambda: build_dashboard(convention, public=public))
    return render(
        request,
        "conventions/dashboard.html",
        {
            "convention": convention,
            "access": access,
            "dashboard": dashboard,
            "charts": SimpleLazyObject(lambda: dashboard_charts(dashboard, public=public)),
            "public": public,
            "today": timezone.localdate(),
        },
    )


@login_required
def dashboard(request, slug):
    access = get_convention_access_or_404(request, slug)
    if refused := method_not_allowed(request, "GET"):
        return refused
    return render_dashboard(request, access.convention, public=False, access=access)


def public_dashboard(request, slug):
    """The dashboard for residents: no login, no personal data, 404 unless published."""
    try:
        convention = Convention.objects.get(slug=slug, is_public=True)
    except Convention.DoesNotExist:
        raise Http404(_("No such public convention.")) from None
    if refused := method_not_allowed(request, "GET"):
        return refused
    return render_dashboard(request, convention, public=True)


@login_required
def overview(request):
    """Every convention of the user, one row each, with totals across them."""
    if refused := method_not_allowed(request, "GET"):
        return refused
    conventions = Convention.objects.for_user(request.user).order_by("title", "pk")
    versions = list(conventions.values_list("pk", "data_version", "has_demo_data"))
    page = Paginator(versions, OVERVIEW_PAGE_SIZE).get_page(request.GET.get("page"))

    def figures_of_page():
        on_page = conventions.filter(pk__in=[pk for pk, _version, _demo in page])
        return overview_rows(list(on_page), conventions)

    figures = SimpleLazyObject(figures_of_page)
    return render(
        request,
        "conventions/overview.html",
        {
            "page": page,
            "figures": figures,
            # The cached table depends on every convention of the user and their versions.
            "fingerprint": hashlib.sha256(repr(versions).encode()).hexdigest(),
            "count": len(versions),
            "demo_data": any(demo for _pk, _version, demo in versions),
            "today": timezone.localdate(),
        },
    )
