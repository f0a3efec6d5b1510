from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from conventions.perms import get_convention_access_or_404
from ctg_portal.exports import export_response
from ctg_portal.formatting import LIST_SEPARATOR
from ctg_portal.forms import submit_once
from ctg_portal.http import post_to, posted, posted_files
from ctg_portal.sections import sections_of

from .exports import FundingExporter
from .forms import AmountsForm, ImportForm, PaymentCancelForm, PaymentCorrectionForm, PaymentForm
from .history import payment_history
from .imports import FundingImport, ImportChanged, apply_import
from .perms import can_manage_funding, can_plan_funding, get_payment_or_404
from .reports import funding_table, payments_of_year
from .services import (
    AmountsChanged,
    PaymentCancelled,
    PaymentChanged,
    cancel_payment,
    correct_payment,
    save_amounts,
    store_preview,
    take_preview,
)


def selected_year(request, convention):
    """The year asked for in the query string, else the current one, within the period."""
    try:
        year = int(request.GET.get("annee", ""))
    except ValueError:
        year = convention.current_year(timezone.localdate())
    return min(max(year, convention.start_year), convention.end_year)


def table_context(request, access, year, payment_form=None):
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
        "can_plan": can_plan_funding(access),
        "payment_form": payment_form,
        # The year's documents (ctg_portal.sections).
        "sections": sections_of("funding_year", request, access, year=year),
    }


@login_required
@require_safe
def table(request, slug):
    access = get_convention_access_or_404(request, slug)
    year = selected_year(request, access.convention)
    return render(request, "funding/table.html", table_context(request, access, year))


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
            return redirect(table_of_year(slug, form.cleaned_data["year"]))
        messages.success(
            request,
            _("Payment recorded on “%(line)s” for %(year)s.")
            % {"line": payment.funding_amount.line.label, "year": payment.funding_amount.year},
        )
        amount = payment.funding_amount
        if amount.paid > amount.planned:
            messages.warning(request, _("The payments of this line now exceed its planned amount."))
        return redirect(table_of_year(slug, amount.year))
    year = form.cleaned_data.get("year") if hasattr(form, "cleaned_data") else None
    if year is None:
        year = selected_year(request, convention)
    context = table_context(request, access, year, payment_form=form)
    return render(request, "funding/table.html", context, status=400)


def table_of_year(slug, year):
    return f"{reverse('funding:table', args=[slug])}?annee={year}"


def payment_context(access, payment, correction=None, cancellation=None, conflict=None):
    manage = can_manage_funding(access) and not payment.is_cancelled
    if manage:
        correction = correction or PaymentCorrectionForm(payment=payment, prefix="correct")
        cancellation = cancellation or PaymentCancelForm(payment=payment, prefix="cancel")
    return {
        "access": access,
        "convention": access.convention,
        "payment": payment,
        "history": payment_history(payment),
        "can_manage": manage,
        "correction": correction,
        "cancellation": cancellation,
        "conflict": conflict,
    }


@login_required
@require_safe
def payment_detail(request, slug, pk):
    access = get_convention_access_or_404(request, slug)
    payment = get_payment_or_404(access.convention, pk)
    return render(request, "funding/payment.html", payment_context(access, payment))


def refused(request, access, form, changed, **forms):
    """The payment page again, after a correction or cancellation made from an older version:
    what changed meanwhile, and the user's input carried on the current version (409)."""
    form.refuse(changed.payment)
    form.add_error(
        None,
        _(
            "This payment was changed by someone else since you opened it (see below): "
            "check it, then send your change again if it still applies."
        ),
    )
    payment = get_payment_or_404(access.convention, changed.payment.pk)
    context = payment_context(access, payment, conflict=changed.entries, **forms)
    return render(request, "funding/payment.html", context, status=409)


@login_required
@post_to("funding:payment", "slug", "pk")
def payment_correct(request, slug, pk):
    access = get_convention_access_or_404(request, slug)
    access.require(can_manage_funding(access))
    payment = get_payment_or_404(access.convention, pk)
    form = PaymentCorrectionForm(request.POST, payment=payment, prefix="correct")
    if not form.is_valid():
        context = payment_context(access, payment, correction=form)
        return render(request, "funding/payment.html", context, status=400)
    try:
        corrected = correct_payment(payment.pk, form, request.user)
    except PaymentCancelled:
        messages.error(request, _("This payment is cancelled: it can no longer be corrected."))
        return redirect("funding:payment", slug=slug, pk=pk)
    except PaymentChanged as changed:
        return refused(request, access, form, changed, correction=form)
    if corrected is None:
        messages.info(request, _("Nothing to correct: the payment already holds these values."))
        return redirect("funding:payment", slug=slug, pk=pk)
    messages.success(request, _("Payment corrected; the reason is kept in its history."))
    amount = corrected.funding_amount
    if amount.paid > amount.planned:
        messages.warning(request, _("The payments of this line now exceed its planned amount."))
    return redirect(table_of_year(slug, amount.year))


@login_required
@post_to("funding:payment", "slug", "pk")
def payment_cancel(request, slug, pk):
    access = get_convention_access_or_404(request, slug)
    access.require(can_manage_funding(access))
    payment = get_payment_or_404(access.convention, pk)
    form = PaymentCancelForm(request.POST, payment=payment, prefix="cancel")
    if not form.is_valid():
        if payment.is_cancelled:  # sent again from a page that was shown before
            messages.info(request, _("This payment was already cancelled."))
            return redirect("funding:payment", slug=slug, pk=pk)
        context = payment_context(access, payment, cancellation=form)
        return render(request, "funding/payment.html", context, status=400)
    try:
        first = cancel_payment(
            payment.pk, form.cleaned_data["reason"], form.cleaned_data["version"], request.user
        )
    except PaymentChanged as changed:
        return refused(request, access, form, changed, cancellation=form)
    if first:
        messages.success(request, _("Payment cancelled: it no longer counts in the totals."))
    else:
        messages.info(request, _("This payment was already cancelled."))
    return redirect(table_of_year(slug, payment.funding_amount.year))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def amounts_edit(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require_open()
    access.require(can_plan_funding(access))
    convention = access.convention
    form = AmountsForm(posted(request), table=funding_table(convention))
    if request.method == "POST" and form.is_valid():
        try:
            written = save_amounts(form)
        except AmountsChanged as changed:
            form.refuse(changed.conflicts)
        else:
            messages.success(
                request,
                ngettext("%(count)s amount changed.", "%(count)s amounts changed.", written)
                % {"count": written},
            )
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
    access.require_open()
    access.require(can_plan_funding(access))
    convention = access.convention
    form = ImportForm(posted(request), posted_files(request))
    preview = None
    token = None
    if request.method == "POST" and form.is_valid():
        preview = FundingImport(convention).preview(form.cleaned_data["file"])
        if preview.is_valid:
            token = store_preview(convention, request.user, preview.payload)
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


SHOWN_CHANGES = 10


def listed(changes):
    """The first changes, and how many more: a message is no place for thousands of them."""
    text = LIST_SEPARATOR.join(changes[:SHOWN_CHANGES])
    more = len(changes) - SHOWN_CHANGES
    if more > 0:
        text += " " + ngettext(
            "and %(count)s other change", "and %(count)s other changes", more
        ) % {"count": more}
    return text


@login_required
@post_to("funding:import", "slug")
def import_confirm(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require_open()
    access.require(can_plan_funding(access))
    convention = access.convention
    payload = take_preview(convention, request.user, request.POST.get("token", ""))
    if payload is None:  # unknown, expired, or confirmed already (sent twice)
        messages.error(request, _("This import is no longer pending: upload the file again."))
        return redirect("funding:import", slug=slug)
    try:
        apply_import(convention, payload, user=request.user)
    except ImportChanged as changed:
        messages.error(
            request,
            _(
                "Nothing was imported: the funding changed since the preview (%(changes)s). "
                "Upload the file again to see a new preview."
            )
            % {"changes": listed(changed.changes)},
        )
        return redirect("funding:import", slug=slug)
    messages.success(
        request,
        ngettext(
            "Import applied: %(count)s line created or changed.",
            "Import applied: %(count)s lines created or changed.",
            len(payload),
        )
        % {"count": len(payload)},
    )
    return redirect("funding:table", slug=slug)
