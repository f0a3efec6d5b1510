"""Pages that combine the domains: home, dashboard, public page, overview, printouts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from actions.perms import get_sheet_for_user_or_404
from conventions.models import Convention
from conventions.perms import can_publish, get_convention_access_or_404
from conventions.services import set_public
from renewals.perms import can_renew, renewal_is_due

from .charts import dashboard_charts
from .dashboard import build_dashboard
from .overview import OverviewFilterForm, overview_rows
from .printouts import dashboard_printout_context, printout_filename, sheet_printout_context

OVERVIEW_PAGE_SIZE = 50


@login_required
@require_safe
def home(request):
    """The conventions the user may open: those they belong to and those of their CAFs
    (every one for a superuser)."""
    conventions = list(
        Convention.objects.for_user(request.user)
        .with_status(timezone.localdate())
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
            # The members' dashboard offers the renewal when it is due.
            "can_renew": (
                not public and can_renew(access) and renewal_is_due(convention, dashboard.today)
            ),
            # Links into the members' area: none on the public page.
            "list_url": None if public else reverse("actions:list", args=[convention.slug]),
        },
    )


@login_required
@require_safe
def dashboard(request, slug):
    access = get_convention_access_or_404(request, slug)
    return render_dashboard(request, access.convention, public=False, access=access)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def publication(request, slug):
    """What the public page shows, exactly, for a coordinator to publish or withdraw it."""
    access = get_convention_access_or_404(request, slug)
    access.require(can_publish(access))
    convention = access.convention
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("publish", "unpublish"):
            messages.error(request, _("Choose to publish or to withdraw the page."))
            return redirect("portal:publication", slug=slug)
        public = action == "publish"
        changed = set_public(convention, public, request.user)
        if public:
            text = _("The public page is published.") if changed else _("It was published already.")
        else:
            text = _("The public page is withdrawn.") if changed else _("It was withdrawn already.")
        messages.success(request, text)
        return redirect("portal:publication", slug=slug)
    dashboard = build_dashboard(convention, public=True)
    return render(
        request,
        "portal/publication.html",
        {
            "convention": convention,
            "access": access,
            "dashboard": dashboard,
            "charts": dashboard_charts(dashboard, public=True),
            "public": True,
            "list_url": None,
            "public_url": request.build_absolute_uri(reverse("portal:public", args=[slug])),
        },
    )


@require_safe
def public_dashboard(request, slug):
    """The dashboard for residents: no login, no personal data, 404 unless published."""
    try:
        convention = Convention.objects.select_related("successor", "predecessor").get(
            slug=slug, is_public=True
        )
    except Convention.DoesNotExist:
        raise Http404(_("No such public convention.")) from None
    return render_dashboard(request, convention, public=True)


def printout_pdf(request, template_name, context, filename):
    # WeasyPrint takes half a second to import: loaded with the first PDF, not at start-up.
    from ctg_portal.pdf import pdf_response

    return pdf_response(request, template_name, context, filename)


@login_required
@require_safe
def dashboard_printout(request, slug):
    """The dashboard for the steering committee, laid out for two A4 pages."""
    access = get_convention_access_or_404(request, slug)
    return render(request, "portal/printout_dashboard.html", dashboard_printout_context(access))


@login_required
@require_safe
def dashboard_pdf(request, slug):
    access = get_convention_access_or_404(request, slug)
    context = dashboard_printout_context(access)
    filename = printout_filename(access.convention, context["dashboard"].today)
    return printout_pdf(request, "portal/printout_dashboard.html", context, filename)


@login_required
@require_safe
def sheet_printout(request, slug, number):
    """One sheet with its steps and indicators, laid out for one A4 page."""
    access, sheet = get_sheet_for_user_or_404(request, slug, number)
    return render(request, "portal/printout_sheet.html", sheet_printout_context(access, sheet))


@login_required
@require_safe
def sheet_pdf(request, slug, number):
    access, sheet = get_sheet_for_user_or_404(request, slug, number)
    context = sheet_printout_context(access, sheet)
    filename = printout_filename(access.convention, context["today"], "fiche", sheet.number)
    return printout_pdf(request, "portal/printout_sheet.html", context, filename)


@login_required
@require_safe
def overview(request):
    """Every convention the user may open (those of their CAFs included), one row each,
    grouped by CAF with each CAF's subtotals, filtered by CAF and département, with totals
    across them."""
    visible = Convention.objects.for_user(request.user)
    today = timezone.localdate()
    filters = OverviewFilterForm(request.GET, conventions=visible, today=today)
    conventions = filters.filter(visible)
    page = Paginator(conventions, OVERVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    on_page = list(page)
    return render(
        request,
        "portal/overview.html",
        {
            "page": page,
            "filters": filters,
            "query": filters.query(),
            "figures": overview_rows(on_page, conventions, filters.group_counts()),
            "count": page.paginator.count,
            "demo_data": any(c.has_demo_data for c in on_page),
            "today": today,
        },
    )
