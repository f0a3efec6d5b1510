"""The bilans pages: the years of the period, a year's bilan (its sheets' reviews, its figures
as of 31/12, the coordinator's synthesis) and a sheet's review of a year."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from conventions.perms import get_convention_access_or_404
from ctg_portal.exports import export_response
from ctg_portal.forms import submit_once
from ctg_portal.http import post_to, posted

from . import queries, services
from .forms import ReopenForm, ReviewForm, SynthesisForm, ValidateForm
from .models import SheetReview
from .perms import (
    can_edit_review,
    can_edit_synthesis,
    can_reopen_review,
    can_validate_review,
    get_review_for_user_or_404,
    get_year_for_user_or_404,
)


@login_required
@require_safe
def bilan_index(request, slug):
    access = get_convention_access_or_404(request, slug)
    return render(
        request,
        "bilans/index.html",
        {
            "access": access,
            "convention": access.convention,
            "years": queries.year_lines(access.convention, timezone.localdate()),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def bilan_year(request, slug, year):
    access = get_year_for_user_or_404(request, slug, year)
    convention = access.convention
    bilan = queries.bilan_of(convention, year)
    can_edit = can_edit_synthesis(access)
    if request.method == "POST":
        access.require(can_edit)
    form = SynthesisForm(posted(request), instance=bilan) if can_edit else None
    conflict = None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            _saved, first = submit_once(
                request.user,
                form.cleaned_data["submission"],
                lambda: services.save_synthesis(form, request.user),
            )
        except services.Changed as changed:
            form = changed_form(SynthesisForm, request, changed, queries.bilan_of(convention, year))
            conflict = changed.entries
        else:
            if first:
                messages.success(request, _("Synthesis saved."))
                build_ahead(request, access, year)
            else:
                messages.info(request, _("These changes were already saved."))
            return redirect("bilans:year", slug=slug, year=year)
    return render(
        request,
        "bilans/year.html",
        {
            "access": access,
            "convention": convention,
            "year": year,
            "bilan": bilan,
            "groups": queries.sheets_of_year(convention, year),
            "figures": queries.year_figures(convention, year),
            "form": form,
            "conflict": conflict,
            "states": SheetReview.State,
        },
        status=status_of(request, conflict),
    )


def build_ahead(request, access, year):
    """The year's PDF, if a long one, built in the background after a change it shows."""
    from . import reports

    reports.build_ahead(request, access, year)


@login_required
@require_safe
def report_pdf(request, slug, year):
    """The year's bilan as a PDF for the COPIL."""
    access = get_year_for_user_or_404(request, slug, year)
    from . import reports  # python-docx and WeasyPrint load only for the downloads

    return reports.pdf_response(request, access, year)


@login_required
@require_safe
def report_docx(request, slug, year):
    """The year's bilan as an editable Word document."""
    access = get_year_for_user_or_404(request, slug, year)
    from . import reports

    return reports.docx_response(access, year)


@login_required
@require_safe
def report_xlsx(request, slug, year):
    """The year's reviews as a spreadsheet."""
    access = get_year_for_user_or_404(request, slug, year)
    from . import reports

    return export_response(reports.ReviewExporter(access.convention, year), "xlsx")


def status_of(request, conflict):
    if request.method != "POST":
        return 200
    return 409 if conflict is not None else 400


def changed_form(form_class, request, changed, instance, **kwargs):
    """The user's input again, carrying the current version (saving it applies it), with what
    changed told above it."""
    data = request.POST.copy()
    data["version"] = str(changed.version)
    form = form_class(data, instance=instance, **kwargs)
    form.is_valid()
    form.add_error(
        None,
        _(
            "This was saved by someone else since you opened it: check their changes below, "
            "then save again to apply yours."
        ),
    )
    return form


def review_context(request, access, sheet, review, *, form=None, validate_form=None, conflict=None):
    """Everything the review page shows; bound forms with errors can be passed in."""
    year = review.year
    can_edit = can_edit_review(access, sheet) and not review.is_locked
    can_validate = can_validate_review(access) and review.state == SheetReview.State.SUBMITTED
    if can_edit and form is None:
        form = ReviewForm(instance=review)
    if can_validate and validate_form is None:
        validate_form = ValidateForm(
            initial={"version": review.version}, convention=access.convention
        )
    can_reopen = can_reopen_review(access) and review.is_locked
    return {
        "access": access,
        "convention": access.convention,
        "sheet": sheet,
        "year": year,
        "review": review,
        "form": form if can_edit else None,
        "validate_form": validate_form if can_validate else None,
        "reopen_form": ReopenForm(initial={"version": review.version}) if can_reopen else None,
        "conflict": conflict,
        "computed": queries.sheet_year(sheet, year),
        "state_history": queries.state_history(review),
        "statuses": dict(sheet.Status.choices),
        "locked_message": services.LOCKED if review.is_locked else "",
    }


def review_page(request, context, status=200):
    return render(request, "bilans/review.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def sheet_review(request, slug, year, number):
    access, sheet, review = get_review_for_user_or_404(request, slug, year, number)
    if request.method != "POST":
        return review_page(request, review_context(request, access, sheet, review))
    access.require(can_edit_review(access, sheet))
    if review.is_locked:
        messages.error(request, services.LOCKED)
        return review_page(request, review_context(request, access, sheet, review), 403)
    form = ReviewForm(request.POST, instance=review)
    conflict = None
    if form.is_valid():
        try:
            saved, first = submit_once(
                request.user,
                form.cleaned_data["submission"],
                lambda: services.save_review(form, request.user),
            )
        except services.Changed as changed:
            _a, _s, current = get_review_for_user_or_404(request, slug, year, number)
            if current.is_locked:  # validated meanwhile: shown read-only, with what changed
                messages.error(request, services.LOCKED)
                context = review_context(request, access, sheet, current, conflict=changed.entries)
                return review_page(request, context, 409)
            form = changed_form(ReviewForm, request, changed, current)
            conflict = changed.entries
            review = current
        except services.Refused as refused:
            form.add_error(None, refused.message)
        else:
            if not first:
                messages.info(request, _("These changes were already saved."))
            elif saved.state == SheetReview.State.SUBMITTED and form.submits:
                messages.success(request, _("Review submitted."))
            else:
                messages.success(request, _("Review saved."))
            return redirect("bilans:review", slug=slug, year=year, number=number)
    context = review_context(request, access, sheet, review, form=form, conflict=conflict)
    return review_page(request, context, 409 if conflict is not None else 400)


@login_required
@post_to("bilans:review", "slug", "year", "number")
def review_validate(request, slug, year, number):
    access, sheet, review = get_review_for_user_or_404(request, slug, year, number)
    access.require(can_validate_review(access))
    form = ValidateForm(request.POST, convention=access.convention)
    if not form.is_valid():
        context = review_context(request, access, sheet, review, validate_form=form)
        return review_page(request, context, 400)
    try:
        validated, first = submit_once(
            request.user,
            form.cleaned_data["submission"],
            lambda: services.validate_review(
                review, form.cleaned_data["version"], request.user, form.cleaned_data["meeting"]
            ),
        )
    except services.Changed as changed:
        return state_conflict(request, slug, year, number, changed)
    except services.Refused as refused:
        messages.error(request, refused.message)
        return review_page(request, review_context(request, access, sheet, review), 400)
    if first and validated:
        messages.success(request, _("Review validated."))
        build_ahead(request, access, year)
    else:
        messages.info(request, _("This review was already validated."))
    return redirect("bilans:review", slug=slug, year=year, number=number)


@login_required
@post_to("bilans:review", "slug", "year", "number")
def review_reopen(request, slug, year, number):
    access, sheet, review = get_review_for_user_or_404(request, slug, year, number)
    access.require(can_reopen_review(access))
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This form has expired: reload the page and enter it again."))
        return review_page(request, review_context(request, access, sheet, review), 400)
    try:
        reopened, first = submit_once(
            request.user,
            form.cleaned_data["submission"],
            lambda: services.reopen_review(review, form.cleaned_data["version"], request.user),
        )
    except services.Changed as changed:
        return state_conflict(request, slug, year, number, changed)
    if first and reopened:
        messages.success(request, _("Review reopened: its pilots can change it again."))
    else:
        messages.info(request, _("This review was not validated: nothing to reopen."))
    return redirect("bilans:review", slug=slug, year=year, number=number)


def state_conflict(request, slug, year, number, changed):
    """A validation or reopening from a version saved meanwhile: the page as it is now, with
    what changed (409); nothing written."""
    access, sheet, current = get_review_for_user_or_404(request, slug, year, number)
    messages.error(
        request,
        _(
            "This review was changed by someone else since you opened it: nothing was "
            "recorded. Check their changes below, then act again."
        ),
    )
    context = review_context(request, access, sheet, current, conflict=changed.entries)
    return review_page(request, context, 409)
