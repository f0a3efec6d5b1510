import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.translation import gettext as _

from conventions.dashboard import current_year
from conventions.perms import get_convention_access_or_404
from ctg_portal.exports import export_response
from ctg_portal.http import method_not_allowed, posted, posted_files

from .exports import FundingExporter
from .forms import AmountsForm, ImportForm, PaymentForm
from .imports import FundingImport, apply_import
from .models import FundingAmount, Payment
from .perms import can_manage_funding
from .reports import funding_table

SESSION_KEY = "funding_import"


def selected_year(request, convention):
    """The year asked for in the query string, else the current one, within the period."""
    try:
        year = int(request.GET.get("annee", ""))
    except ValueError:
        year = current_year(convention, timezone.localdate())
    return min(max(year, convention.start_year), convention.end_year)


class FundingPageData:
    """The funding table and the year's payments, computed only on a cache miss."""

    def __init__(self, convention, year):
        self.convention = convention
        self.year = year

    @cached_property
    def table(self):
        return funding_table(self.convention)

    @cached_property
    def year_rows(self):
        payments = (
            Payment.objects.filter(
                funding_amount__line__convention=self.convention, funding_amount__year=self.year
            )
            .select_related("funding_amount")
            .order_by("paid_on", "pk")
        )
        return self.table.for_year(self.year, payments)

    @cached_property
    def year_planned(self):
        return sum((r.planned for r in self.year_rows), start=Decimal("0"))

    @cached_property
    def year_paid(self):
        return sum((r.paid for r in self.year_rows), start=Decimal("0"))


def table_context(access, year, payment_form=None):
    convention = access.convention
    manage = can_manage_funding(access)
    bound = payment_form is not None
    if manage and not bound:
        # Built only if its cached fields are missing.
        payment_form = SimpleLazyObject(
            lambda: PaymentForm(convention=convention, initial={"year": year})
        )
    return {
        "access": access,
        "convention": convention,
        "data": FundingPageData(convention, year),
        "years": convention.years,
        "year": year,
        "can_manage": manage,
        "payment_form": payment_form,
        # A form with the user's input and errors is never cached; an empty one is.
        "form_seconds": 0 if bound else settings.FRAGMENT_CACHE_SECONDS,
        "today": timezone.localdate(),
    }


@login_required
def table(request, slug):
    access = get_convention_access_or_404(request, slug)
    if refused := method_not_allowed(request, "GET"):
        return refused
    year = selected_year(request, access.convention)
    return render(request, "funding/table.html", table_context(access, year))


@login_required
def export(request, slug, fmt):
    access = get_convention_access_or_404(request, slug)
    if refused := method_not_allowed(request, "GET"):
        return refused
    return export_response(FundingExporter(access.convention), fmt)


@login_required
def payment_add(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_manage_funding(access))
    if refused := method_not_allowed(request, "POST"):
        return refused
    convention = access.convention
    form = PaymentForm(request.POST, convention=convention)
    if form.is_valid():
        with transaction.atomic():
            payment = form.save()
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
def amounts_edit(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_manage_funding(access))
    convention = access.convention
    form = AmountsForm(posted(request), table=funding_table(convention))
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        with transaction.atomic():
            for line, year, _old, new in changes:
                amount, created = FundingAmount.objects.get_or_create(
                    line=line, year=year, defaults={"planned": new}
                )
                if not created:
                    amount.planned = new
                    amount.save(update_fields=["planned"])
        messages.success(request, _("%(count)s amount(s) changed.") % {"count": len(changes)})
        return redirect("funding:table", slug=slug)
    return render(
        request,
        "funding/amounts.html",
        {"access": access, "convention": convention, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
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
def import_confirm(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_manage_funding(access))
    if refused := method_not_allowed(request, "POST"):
        return refused
    convention = access.convention
    pending = request.session.get(SESSION_KEY)
    if (
        not pending
        or pending["convention"] != convention.pk
        or pending["token"] != request.POST.get("token")
    ):
        messages.error(request, _("This import is no longer pending: upload the file again."))
        return redirect("funding:import", slug=slug)
    apply_import(convention, pending["payload"])
    del request.session[SESSION_KEY]
    messages.success(
        request,
        _("Import applied: %(count)s line(s) created or changed.")
        % {"count": len(pending["payload"])},
    )
    return redirect("funding:table", slug=slug)
