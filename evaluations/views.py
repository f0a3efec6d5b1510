"""The evaluation pages: the evaluation (read by every member), its conclusion and one
objective's four questions (written by coordinators, from the convention's last year on)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from conventions.perms import get_convention_access_or_404
from ctg_portal.exports import export_response
from ctg_portal.forms import submit_once
from ctg_portal.http import posted

from . import queries, services
from .forms import ConclusionForm, ObjectiveForm
from .perms import can_edit_evaluation, get_objective_or_404, is_open, opening_message

CHANGED_MEANWHILE = gettext_lazy(
    "The evaluation was saved by someone else since you opened it: nothing was saved. Check "
    "their changes below, then save again to apply yours."
)


@login_required
@require_safe
def evaluation_detail(request, slug):
    access = get_convention_access_or_404(request, slug)
    convention = access.convention
    evaluation, objectives = queries.evaluation_page(convention)
    opened = is_open(convention, timezone.localdate())
    return render(
        request,
        "evaluations/evaluation_detail.html",
        {
            "access": access,
            "convention": convention,
            "evaluation": evaluation,
            "objectives": objectives,
            "is_open": opened,
            "opening": opening_message(convention),
            "can_edit": opened and can_edit_evaluation(access),
        },
    )


@login_required
@require_safe
def report_pdf(request, slug):
    """The evaluation as a PDF, for every member who reads it."""
    access = get_convention_access_or_404(request, slug)
    from . import reports  # python-docx and WeasyPrint load only for the downloads

    return reports.pdf_response(request, access)


@login_required
@require_safe
def report_docx(request, slug):
    """The evaluation as an editable Word document."""
    access = get_convention_access_or_404(request, slug)
    from . import reports

    return reports.docx_response(access)


@login_required
@require_safe
def report_xlsx(request, slug):
    """The evaluation's answers as a spreadsheet: one row per objective and question."""
    access = get_convention_access_or_404(request, slug)
    from . import reports

    return export_response(reports.AnswerExporter(access.convention), "xlsx")


def writable_access(request, slug):
    """The access of a coordinator (else 403), and the 403 page telling when the evaluation
    opens if it is not open yet (else None)."""
    access = get_convention_access_or_404(request, slug)
    access.require(can_edit_evaluation(access))
    if is_open(access.convention, timezone.localdate()):
        return access, None
    context = {"convention": access.convention, "message": opening_message(access.convention)}
    return access, render(request, "evaluations/not_open.html", context, status=403)


def saved_message(request, first):
    if first:
        messages.success(request, _("Evaluation saved."))
    else:
        messages.info(request, _("These changes were already saved."))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def evaluation_edit(request, slug):
    access, closed = writable_access(request, slug)
    if closed:
        return closed
    convention = access.convention
    form = ConclusionForm(posted(request), evaluation=queries.evaluation_of(convention))
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _saved, first = submit_once(
                request.user,
                data["submission"],
                lambda: services.save_conclusion(
                    convention,
                    data["conclusion"],
                    data["recommendations"],
                    data["version"],
                    request.user,
                ),
            )
        except services.EvaluationChanged as changed:
            again = request.POST.copy()
            again["version"] = str(changed.versions["evaluation"])
            form = ConclusionForm(again, evaluation=queries.evaluation_of(convention))
            form.is_valid()
            form.add_error(None, CHANGED_MEANWHILE)
            conflict = changed.entries
        else:
            saved_message(request, first)
            return redirect("evaluations:detail", slug=slug)
    return render(
        request,
        "evaluations/conclusion_form.html",
        {"access": access, "convention": convention, "form": form, "conflict": conflict},
        status=(409 if conflict is not None else 400) if request.method == "POST" else 200,
    )


def objective_form(data, convention, objective):
    evaluation = queries.evaluation_of(convention)
    saved = queries.objective_answers(convention, evaluation, objective)
    indicators = queries.objective_indicators(convention, objective)
    return ObjectiveForm(
        data,
        saved={question: answer for (_o, question), answer in saved.items()},
        indicators=indicators,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def objective_edit(request, slug, number):
    access, closed = writable_access(request, slug)
    convention = access.convention
    objective = get_objective_or_404(convention, number)
    if closed:
        return closed
    form = objective_form(posted(request), convention, objective)
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            _saved, first = submit_once(
                request.user,
                form.submission,
                lambda: services.save_objective(
                    convention, objective, form.cleaned_answers(), request.user
                ),
            )
        except services.EvaluationChanged as changed:
            again = request.POST.copy()
            for question, version in changed.versions.items():
                again[f"{question}-version"] = str(version)
            form = objective_form(again, convention, objective)
            form.is_valid()
            form.once.add_error(None, CHANGED_MEANWHILE)
            conflict = changed.entries
        else:
            saved_message(request, first)
            return redirect(
                f"{reverse('evaluations:detail', args=[slug])}#objective-{objective.number}"
            )
    return render(
        request,
        "evaluations/objective_form.html",
        {
            "access": access,
            "convention": convention,
            "objective": objective,
            "form": form,
            "figures": queries.objective_figures(convention, objective),
            "conflict": conflict,
        },
        status=(409 if conflict is not None else 400) if request.method == "POST" else 200,
    )
