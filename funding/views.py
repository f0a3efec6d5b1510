import uuid
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from conventions.perms import get_convention_access_or_404
from ctg_portal.exports import export_response
from ctg_portal.forms import submit_once
from ctg_portal.http import post_to, posted, posted_files

from .exports import FundingExporter
from .forms import AmountsForm, ImportForm, PaymentForm
from .imports import FundingImport, ImportChanged, apply_import
from .perms import can_manage_funding
from .reports import funding_table, payments_of_year
from .services import AmountsChanged, save_amounts

SESSION_KEY = "funding_import"


def selected_year(request, convention):
    """The year asked for in the query string, else the current one, within the period."""
    try:
        year = int(request.GET.get("annee", ""))
    except ValueError:
        year = convention.current_year(timezone.localdate())
    return min(max(year, convention.start_year), convention.end_year)


def table_context(access, year, payment_form=None):
    convention = access.convention
    manage = can_manage_funding(access)
    if manage and payment_form is None:
        payment_form = PaymentForm(convention=convention, initial={"year": year})
    table = funding_table(convention)
    year_rows = table.for_year(year, payments_of_year(convention, year))
    return {
        "access": access,
        "convention": convention,
        "table": table,
        "year_rows": year_rows,
        "year_planned": sum((r.planned for r in year_rows), start=Decimal("0")),
        "year_paid": sum((r.paid for r in year_rows), start=Decimal("0")),
        "years": convention.years,
        "year": year,
        "can_manage": manage,
        "payment_form": payment_form,
    }


@login_required
@require_safe
def table(request, slug):
    access = get_convention_access_or_404(request, slug)
    year = selected_year(request, access.convention)
    return render(request, "funding/table.html", table_context(access, year))


@login_required
@require_safe
def export(request, slug, fmt):
    access = get_convention_access_or_404(request, slug)
    return export_response(FundingExporter(access.convention), fmt)


@login_required
@post_to("funding:table", "slug")
def payment_add(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_manage_funding(access))
    convention = access.convention
    form = PaymentForm(request.POST, convention=convention)
    if form.is_valid():
        payment, first = submit_once(request.user, form.cleaned_data["submission"], form.save)
        if not first:  # the same form posted again (a double click, a reload): written once
            messages.info(request, _("This payment was already recorded."))
            year = form.cleaned_data["year"]
            return redirect(f"{reverse('funding:table', args=[slug])}?annee={year}")
        messages.success(
            request,
            _("Payment recorded on “%(line)s” for %(year)s.")
            % {"line": payment.funding_amount.line.label, "year": payment.funding_amount.year},
        )
        amount = payment.funding_amount
        if amount.paid > amount.planned:
            messages.warning(request, _("The payments of this line now exceed its planned amount."))
        return redirect(f"{reverse('funding:table', args=[slug])}?annee={amount.year}")
    year = form.cleaned_data.get("year") if hasattr(form, "cleaned_data") else None
    if year is None:
        year = selected_year(request, convention)
    context = table_context(access, year, payment_form=form)
    return render(request, "funding/table.html", context, status=400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def amounts_edit(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_manage_funding(access))
    convention = access.convention
    form = AmountsForm(posted(request), table=funding_table(convention))
    if request.method == "POST" and form.is_valid():
        try:
            written = save_amounts(form)
        except AmountsChanged as changed:
            form.refuse(changed.conflicts)
        else:
            messages.success(request, _("%(count)s amount(s) changed.") % {"count": written})
            return redirect("funding:table", slug=slug)
    return render(
        request,
        "funding/amounts.html",
        {"access": access, "convention": convention, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_upload(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_manage_funding(access))
    convention = access.convention
    form = ImportForm(posted(request), posted_files(request))
    preview = None
    token = None
    if request.method == "POST" and form.is_valid():
        preview = FundingImport(convention).preview(form.cleaned_data["file"])
        if preview.is_valid:
            token = uuid.uuid4().hex
            request.session[SESSION_KEY] = {
                "convention": convention.pk,
                "token": token,
                "payload": preview.payload,
            }
    status = 400 if (form.errors or (preview and not preview.is_valid)) else 200
    return render(
        request,
        "funding/import.html",
        {
            "access": access,
            "convention": convention,
            "form": form,
            "preview": preview,
            "token": token,
        },
        status=status,
    )


@login_required
@post_to("funding:import", "slug")
def import_confirm(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_manage_funding(access))
    convention = access.convention
    pending = request.session.get(SESSION_KEY)
    if (
        not pending
        or pending["convention"] != convention.pk
        or pending["token"] != request.POST.get("token")
    ):
        messages.error(request, _("This import is no longer pending: upload the file again."))
        return redirect("funding:import", slug=slug)
    del request.session[SESSION_KEY]
    try:
        apply_import(convention, pending["payload"])
    except ImportChanged as changed:
        messages.error(
            request,
            _(
                "Nothing was imported: the funding changed since the preview (%(changes)s). "
                "Upload the file again to see a new preview."
            )
            % {"changes": "; ".join(changed.changes)},
        )
        return redirect("funding:import", slug=slug)
    messages.success(
        request,
        _("Import applied: %(count)s line(s) created or changed.")
        % {"count": len(pending["payload"])},
    )
    return redirect("funding:table", slug=slug)
