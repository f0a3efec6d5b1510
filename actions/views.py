from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from conventions.perms import get_convention_access_or_404
from ctg_portal.exports import export_response
from ctg_portal.forms import save_or_clash, submit_once
from ctg_portal.http import post_to, posted
from ctg_portal.sections import sections_of

from . import merge, queries, services
from .charts import indicator_chart
from .exports import SheetExporter
from .filters import SheetFilterForm
from .forms import (
    ActionSheetForm,
    IndicatorFormSet,
    IndicatorValueForm,
    NoteForm,
    StepDoneForm,
    StepFormSet,
    apply_choices,
    edit_forms,
    without_vanished_rows,
)
from .history import SheetHistory
from .models import ActionSheet, Indicator, IndicatorValue, Step
from .perms import (
    can_archive_sheet,
    can_create_sheet,
    can_edit_sheet,
    get_editable_sheet_or_403,
    get_sheet_for_user_or_404,
)


@login_required
@require_safe
def sheet_list(request, slug):
    access = get_convention_access_or_404(request, slug)
    convention = access.convention
    filters = SheetFilterForm(request.GET or None, convention=convention)
    today = timezone.localdate()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "actions/sheet_list.html",
        {
            "access": access,
            "convention": convention,
            "filters": filters,
            "page": queries.sheet_page_of_list(convention, filters, today, request.GET.get("page")),
            "query": query.urlencode(),
            "can_create": can_create_sheet(access),
        },
    )


def detail_context(
    request,
    access,
    sheet,
    *,
    note_form=None,
    conflict=None,
    step_form_errors=None,
    value_form=None,
    value_indicator=None,
):
    """Everything the sheet page shows; bound forms with errors can be passed in."""
    today = timezone.localdate()
    editable = can_edit_sheet(access, sheet)
    steps = queries.steps_of(sheet, today)
    for step in steps:
        step.done_form = (step_form_errors or {}).get(step.pk)
    indicators = queries.indicators_of(sheet)
    for indicator in indicators:
        indicator.chart = indicator_chart(indicator, indicator.value_list)
        if value_indicator == indicator.pk:
            indicator.value_form = value_form
        elif editable:
            indicator.value_form = IndicatorValueForm(prefix=f"value-{indicator.pk}")
    queries.with_status_badges([sheet])
    return {
        "access": access,
        "convention": access.convention,
        "sheet": sheet,
        "steps": steps,
        "indicators": indicators,
        "labels": queries.summary_labels(sheet),
        "notes": queries.notes_of(sheet),
        "history": SheetHistory(sheet).entries(),
        "editable": editable,
        "can_archive": can_archive_sheet(access),
        "note_form": note_form or (NoteForm(sheet=sheet) if editable else None),
        "conflict": conflict,
        "today": today,
        # What the steering and the documents add (ctg_portal.sections).
        "sections": sections_of("sheet", request, access, sheet=sheet),
    }


@login_required
@require_safe
def sheet_export(request, slug, fmt):
    access = get_convention_access_or_404(request, slug)
    return export_response(SheetExporter(access.convention), fmt)


@login_required
@require_safe
def sheet_detail(request, slug, number):
    access, sheet = get_sheet_for_user_or_404(request, slug, number)
    return render(request, "actions/sheet_detail.html", detail_context(request, access, sheet))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def sheet_edit(request, slug, number):
    access, sheet = get_editable_sheet_or_403(request, slug, number)
    convention = access.convention
    data = posted(request)
    base = merge.unsign(data.get("base"), sheet) if data is not None else None
    unchosen, revived = [], 0
    if data is not None:
        data, revived = without_vanished_rows(data, sheet, base)
    if data is not None and base and base.get("pending"):
        data, unchosen = apply_choices(data, base)
    form, formsets = edit_forms(data, sheet, convention)
    conflicts, entries = None, []
    if request.method == "POST" and all(
        [form.is_valid(), *(formset.is_valid() for formset in formsets.values())]
    ):
        if unchosen:
            conflicts = merge.from_pending(unchosen)
            form.add_error(
                None, _("Choose which value to keep for each change made on both sides.")
            )
        elif form.asks_to_confirm_leaving(access):
            pass  # a pilot unticked themselves: the form asks them to confirm it (400)
        else:
            outcome = save_edit(request, form, formsets, base, convention)
            if outcome.sheet is not None:
                if outcome.merged is not None:
                    outcome.merged.revived.extend(["row"] * revived)
                saved_message(request, outcome.sheet, outcome.merged)
                return redirect("actions:detail", slug=slug, number=outcome.sheet.number)
            form, formsets = outcome.forms
            sheet = form.instance
            if outcome.conflicts:
                conflicts, entries = outcome.conflicts, outcome.entries
    return render(
        request,
        "actions/sheet_form.html",
        {
            "access": access,
            "convention": convention,
            "sheet": sheet,
            "form": form,
            "steps": formsets["steps"],
            "indicators": formsets["indicators"],
            "conflicts": conflicts,
            "conflict": entries if conflicts is not None else None,
        },
        status=(409 if conflicts is not None else 400) if request.method == "POST" else 200,
    )


def save_edit(request, form, formsets, base, convention):
    """Save, merging with what was saved meanwhile (actions.services.save_sheet_merging)."""

    def bind(data, current):
        return edit_forms(data, current, convention)

    try:
        return services.save_sheet_merging(form, formsets, base, bind)
    except services.StaleSheet:
        # Saved again and again while merging: the user's input is shown to save once more.
        form.add_error(None, _("This sheet is being saved by others right now: save again."))
        return services.EditOutcome(forms=(form, formsets))


def merged_message(merged):
    kept = merge.kept_labels(merged)
    message = (
        _(
            "It was saved meanwhile by someone else: your changes were merged with theirs, "
            "which are kept (%(fields)s)."
        )
        % {"fields": ", ".join(kept)}
        if kept
        else _("It was saved meanwhile by someone else: your changes were applied to that version.")
    )
    if merged.revived:
        message += " " + ngettext(
            "%(count)s step or indicator deleted on one side and changed on the other was "
            "kept: delete it again if needed.",
            "%(count)s steps or indicators deleted on one side and changed on the other were "
            "kept: delete them again if needed.",
            len(merged.revived),
        ) % {"count": len(merged.revived)}
    return message


def saved_message(request, sheet, merged=None):
    messages.success(request, _("Sheet %(number)s saved.") % {"number": sheet.number})
    if merged is not None:
        messages.info(request, merged_message(merged))
    if sheet.progress_set_to_100:  # only when this save moved it (ActionSheet.complete_if_done)
        messages.info(request, _("A completed sheet is at 100 %: its progress was set to 100 %."))
    convention = sheet.convention
    for step in services.steps_outside_period(sheet):
        messages.warning(
            request,
            _(
                "Step “%(step)s” is due on %(date)s, outside the convention’s period "
                "(%(start)s–%(end)s)."
            )
            % {
                "step": step.title,
                "date": step.due_on.strftime("%d/%m/%Y"),
                "start": convention.start_year,
                "end": convention.end_year,
            },
        )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def sheet_create(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require_open()
    access.require(can_create_sheet(access))
    convention = access.convention
    sheet = ActionSheet(convention=convention)
    form = ActionSheetForm(
        posted(request),
        instance=sheet,
        convention=convention,
        initial={"number": ActionSheet.objects.next_number(convention)},
    )
    steps = StepFormSet(posted(request), instance=sheet, prefix="steps")
    indicators = IndicatorFormSet(posted(request), instance=sheet, prefix="indicators")
    if request.method == "POST" and all([form.is_valid(), steps.is_valid(), indicators.is_valid()]):
        # Two creations of one number at once: the second is told, in French, not a 500.
        created = save_or_clash(form, lambda: services.create_sheet(form, [steps, indicators]))
        if created is not None:
            saved_message(request, created)
            return redirect("actions:detail", slug=slug, number=created.number)
        form.instance.pk = None
    return render(
        request,
        "actions/sheet_form.html",
        {
            "access": access,
            "convention": convention,
            "sheet": None,
            "form": form,
            "steps": steps,
            "indicators": indicators,
            "conflicts": None,
            "conflict": None,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def sheet_archive(request, slug, number):
    access, sheet = get_sheet_for_user_or_404(request, slug, number)
    access.require_open()
    access.require(can_archive_sheet(access))
    archive = sheet.archived_at is None
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("archive", "restore"):
            return render(
                request,
                "actions/sheet_archive.html",
                {
                    "access": access,
                    "convention": access.convention,
                    "sheet": sheet,
                    "archive": archive,
                    "error": _("Choose to archive or to restore the sheet."),
                },
                status=400,
            )
        archived = action == "archive"
        if not services.set_archived(sheet, archived):
            message = (
                _("Sheet %(number)s was already archived.")
                if archived
                else _("Sheet %(number)s was already restored.")
            )
            messages.info(request, message % {"number": number})
        elif archived:
            messages.success(request, _("Sheet %(number)s archived.") % {"number": number})
        else:
            messages.success(request, _("Sheet %(number)s restored.") % {"number": number})
        if archived:
            return redirect("actions:list", slug=slug)
        return redirect("actions:detail", slug=slug, number=number)
    return render(
        request,
        "actions/sheet_archive.html",
        {"access": access, "convention": access.convention, "sheet": sheet, "archive": archive},
    )


@login_required
@post_to("actions:detail", "slug", "number")
def note_add(request, slug, number):
    access, sheet = get_editable_sheet_or_403(request, slug, number)
    form = NoteForm(request.POST, sheet=sheet)
    if form.is_valid():
        try:
            _note, first = submit_once(
                request.user,
                form.cleaned_data["submission"],
                lambda: services.add_note(sheet, form, request.user),
            )
        except services.StaleSheet as stale:
            data = request.POST.copy()
            data["version"] = stale.sheet.version
            form = NoteForm(data, sheet=sheet)
            form.is_valid()
            form.add_error(
                None,
                _(
                    "This sheet was changed by someone else since you opened it: "
                    "check its status and progress, then post your note again."
                ),
            )
            context = detail_context(request, access, sheet, note_form=form, conflict=stale.entries)
            return render(request, "actions/sheet_detail.html", context, status=409)
        if first:
            messages.success(request, _("Note added."))
            if sheet.progress_set_to_100:  # the note made it completed below 100 %
                messages.info(
                    request, _("A completed sheet is at 100 %: its progress was set to 100 %.")
                )
        else:  # the same form posted again (a double click, a reload): written once
            messages.info(request, _("This note was already recorded."))
        return redirect("actions:detail", slug=slug, number=number)
    context = detail_context(request, access, sheet, note_form=form)
    return render(request, "actions/sheet_detail.html", context, status=400)


@login_required
@post_to("actions:detail", "slug", "number")
def step_done(request, slug, number, step_id):
    access, sheet = get_editable_sheet_or_403(request, slug, number)
    step = get_object_or_404(Step, pk=step_id, sheet=sheet)
    form = StepDoneForm(request.POST)
    if not form.is_valid():
        context = detail_context(request, access, sheet, step_form_errors={step.pk: form})
        return render(request, "actions/sheet_detail.html", context, status=400)
    if services.mark_step_done(sheet, step, form.cleaned_data["done_on"]):
        messages.success(request, _("Step “%(step)s” done.") % {"step": step.title})
    else:
        messages.info(request, _("This step was already done."))
    return redirect("actions:detail", slug=slug, number=number)


@login_required
@post_to("actions:detail", "slug", "number")
def value_add(request, slug, number, indicator_id):
    access, sheet = get_editable_sheet_or_403(request, slug, number)
    try:
        indicator = Indicator.objects.get(pk=indicator_id, sheet=sheet)
    except Indicator.DoesNotExist:
        raise Http404(_("No such indicator.")) from None
    form = IndicatorValueForm(
        request.POST,
        instance=IndicatorValue(indicator=indicator),
        prefix=f"value-{indicator.pk}",
    )
    if form.is_valid() and save_or_clash(form, form.save) is not None:
        messages.success(request, _("Value recorded."))
        return redirect("actions:detail", slug=slug, number=number)
    context = detail_context(request, access, sheet, value_form=form, value_indicator=indicator.pk)
    return render(request, "actions/sheet_detail.html", context, status=400)
