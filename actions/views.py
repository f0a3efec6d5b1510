from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, CharField, Exists, F, Max, OuterRef, Prefetch, Q, Value, When
from django.db.models.functions import Concat
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from conventions.models import Challenge, Domain, Partner
from conventions.perms import get_convention_access_or_404
from ctg_portal.exports import export_response
from ctg_portal.http import method_not_allowed, posted

from . import services
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
)
from .history import SheetHistory
from .models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step
from .perms import (
    can_archive_sheet,
    can_create_sheet,
    can_edit_sheet,
    get_editable_sheet_or_403,
    get_sheet_for_user_or_404,
)

PAGE_SIZE = 50


class SheetListData:
    """What the list shows, computed only when its cached fragment is missing."""

    def __init__(self, request, access):
        self.request = request
        self.access = access

    @cached_property
    def filters(self):
        return SheetFilterForm(self.request.GET or None, convention=self.access.convention)

    @cached_property
    def page(self):
        sheets = (
            ActionSheet.objects.active()
            .filter(convention=self.access.convention)
            .with_lateness(timezone.localdate())
            .with_next_step()
            .select_related("objective")
            .prefetch_related("pilots")
        )
        sheets = self.filters.filter(sheets)
        return Paginator(sheets, PAGE_SIZE).get_page(self.request.GET.get("page"))

    @cached_property
    def query(self):
        query = self.request.GET.copy()
        query.pop("page", None)
        return query.urlencode()


@login_required
def sheet_list(request, slug):
    access = get_convention_access_or_404(request, slug)
    if refused := method_not_allowed(request, "GET"):
        return refused
    return render(
        request,
        "actions/sheet_list.html",
        {
            "access": access,
            "convention": access.convention,
            "data": SheetListData(request, access),
            "can_create": can_create_sheet(access),
            "today": timezone.localdate(),
        },
    )


class SheetPageData:
    """What the sheet page shows, each part computed only if its cached fragment is missing."""

    def __init__(self, sheet, bound):
        self.sheet = sheet
        self.bound = bound
        self.today = timezone.localdate()

    @cached_property
    def steps(self):
        step_errors = self.bound.get("step_form_errors", {})
        steps = list(self.sheet.steps.all())
        for step in steps:
            step.is_late = (
                step.done_on is None and step.due_on is not None and step.due_on < self.today
            )
            step.done_form = step_errors.get(step.pk)
        return steps

    @cached_property
    def is_late(self):
        # As ActionSheet.objects.with_lateness(), from the steps already loaded.
        sheet = self.sheet
        if sheet.status in {ActionSheet.Status.DONE, ActionSheet.Status.ABANDONED}:
            return False
        end_passed = sheet.planned_end is not None and sheet.planned_end < self.today
        return end_passed or any(step.is_late for step in self.steps)

    @cached_property
    def indicators(self):
        indicators = list(
            Indicator.objects.filter(sheet=self.sheet).prefetch_related(
                Prefetch("values", queryset=IndicatorValue.objects.order_by("measured_on"))
            )
        )
        for indicator in indicators:
            indicator.chart = indicator_chart(indicator, list(indicator.values.all()))
            if self.bound.get("value_indicator") == indicator.pk:
                indicator.value_form = self.bound["value_form"]
            else:
                indicator.value_form = IndicatorValueForm(prefix=f"value-{indicator.pk}")
        return indicators

    @cached_property
    def notes(self):
        return list(
            ProgressNote.objects.filter(sheet=self.sheet)
            .select_related("author")
            .order_by("-written_on", "-created_at")
        )

    @cached_property
    def history(self):
        return SheetHistory(self.sheet).entries()

    @cached_property
    def labels(self):
        """The objective's enjeux, the sheet's domains and its pilots' names, in one query."""
        domains = (
            Domain.objects.filter(action_sheets=self.sheet)
            .order_by()
            .annotate(kind=Value("domain"))
            .values_list("kind", "name", "position", "pk")
        )
        challenges = (
            Challenge.objects.filter(objectives=self.sheet.objective_id)
            .order_by()
            .annotate(kind=Value("challenge"))
            .values_list("kind", "title", "position", "pk")
        )
        full_name = Concat("first_name", Value(" "), "last_name", output_field=CharField())
        pilots = (
            get_user_model()
            .objects.filter(piloted_sheets=self.sheet)
            .order_by()
            .annotate(
                kind=Value("pilot"),
                label=Case(
                    When(first_name="", last_name="", then=F("username")),
                    default=full_name,
                    output_field=CharField(),
                ),
                position=Value(0),
            )
            .values_list("kind", "label", "position", "pk")
        )
        rows = sorted(
            domains.union(challenges, pilots, all=True), key=lambda row: (row[2], row[1], row[3])
        )
        return {
            kind: [name.strip() for row_kind, name, _position, _pk in rows if row_kind == kind]
            for kind in ("domain", "challenge", "pilot")
        }

    @cached_property
    def challenges(self):
        return self.labels["challenge"]

    @cached_property
    def domains(self):
        return self.labels["domain"]

    @cached_property
    def partner_links(self):
        """The sheet's partners and communes concerned, in one query."""
        sheet = self.sheet
        partners = (
            Partner.objects.filter(Q(partner_action_sheets=sheet) | Q(commune_action_sheets=sheet))
            .annotate(
                is_partner=Exists(
                    ActionSheet.partners.through.objects.filter(
                        actionsheet=sheet, partner=OuterRef("pk")
                    )
                ),
                is_commune=Exists(
                    ActionSheet.communes.through.objects.filter(
                        actionsheet=sheet, partner=OuterRef("pk")
                    )
                ),
            )
            .distinct()
            .order_by("name")
        )
        return list(partners)

    @cached_property
    def partners(self):
        return [p for p in self.partner_links if p.is_partner]

    @cached_property
    def communes(self):
        return [p for p in self.partner_links if p.is_commune]

    @cached_property
    def pilots(self):
        return self.labels["pilot"]


def detail_context(request, access, sheet, **bound):
    """Everything the sheet page shows; bound forms with errors can be passed in."""
    editable = can_edit_sheet(access, sheet)
    return {
        "access": access,
        "convention": access.convention,
        "sheet": sheet,
        "data": SheetPageData(sheet, bound),
        "editable": editable,
        # Parts holding forms (and their CSRF tokens) are never cached for editors.
        "fragment_seconds": 0 if editable else settings.FRAGMENT_CACHE_SECONDS,
        "can_archive": can_archive_sheet(access),
        "note_form": bound.get("note_form") or (NoteForm(sheet=sheet) if editable else None),
        "conflict": bound.get("conflict"),
        "today": timezone.localdate(),
    }


@login_required
def sheet_export(request, slug, fmt):
    access = get_convention_access_or_404(request, slug)
    if refused := method_not_allowed(request, "GET"):
        return refused
    return export_response(SheetExporter(access.convention), fmt)


@login_required
def sheet_detail(request, slug, number):
    access, sheet = get_sheet_for_user_or_404(request, slug, number)
    if refused := method_not_allowed(request, "GET"):
        return refused
    return render(request, "actions/sheet_detail.html", detail_context(request, access, sheet))


@login_required
def sheet_edit(request, slug, number):
    access, sheet = get_editable_sheet_or_403(request, slug, number)
    convention = access.convention
    form = ActionSheetForm(posted(request), instance=sheet, convention=convention)
    steps = StepFormSet(posted(request), instance=sheet, prefix="steps")
    indicators = IndicatorFormSet(posted(request), instance=sheet, prefix="indicators")
    conflict = None
    if request.method == "POST" and all([form.is_valid(), steps.is_valid(), indicators.is_valid()]):
        expected = form.cleaned_data.get("version") or sheet.version
        try:
            sheet = services.save_sheet(form, [steps, indicators], expected)
        except services.StaleSheet as stale:
            conflict = stale.entries
            # The next save, made knowingly, applies over the current version.
            data = request.POST.copy()
            data["version"] = stale.sheet.version
            form = ActionSheetForm(data, instance=sheet, convention=convention)
            form.is_valid()
            form.add_error(None, _("This sheet was changed by someone else while you edited it."))
        else:
            saved_message(request, sheet)
            return redirect("actions:detail", slug=slug, number=sheet.number)
    return render(
        request,
        "actions/sheet_form.html",
        {
            "access": access,
            "convention": convention,
            "sheet": sheet,
            "form": form,
            "steps": steps,
            "indicators": indicators,
            "conflict": conflict,
        },
        status=(409 if conflict is not None else 400) if request.method == "POST" else 200,
    )


def saved_message(request, sheet):
    messages.success(request, _("Sheet %(number)s saved.") % {"number": sheet.number})
    if sheet.status == ActionSheet.Status.DONE:
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
def sheet_create(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_create_sheet(access))
    convention = access.convention
    next_number = (
        ActionSheet.objects.filter(convention=convention).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    sheet = ActionSheet(convention=convention)
    form = ActionSheetForm(
        posted(request),
        instance=sheet,
        convention=convention,
        initial={"number": next_number},
    )
    steps = StepFormSet(posted(request), instance=sheet, prefix="steps")
    indicators = IndicatorFormSet(posted(request), instance=sheet, prefix="indicators")
    if request.method == "POST" and all([form.is_valid(), steps.is_valid(), indicators.is_valid()]):
        sheet = services.create_sheet(form, [steps, indicators])
        saved_message(request, sheet)
        return redirect("actions:detail", slug=slug, number=sheet.number)
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
            "conflict": None,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def sheet_archive(request, slug, number):
    access, sheet = get_sheet_for_user_or_404(request, slug, number)
    access.require(can_archive_sheet(access))
    archive = sheet.archived_at is None
    if request.method == "POST":
        services.set_archived(sheet, archive)
        if archive:
            messages.success(request, _("Sheet %(number)s archived.") % {"number": number})
            return redirect("actions:list", slug=slug)
        messages.success(request, _("Sheet %(number)s restored.") % {"number": number})
        return redirect("actions:detail", slug=slug, number=number)
    return render(
        request,
        "actions/sheet_archive.html",
        {"access": access, "convention": access.convention, "sheet": sheet, "archive": archive},
    )


@login_required
def note_add(request, slug, number):
    access, sheet = get_editable_sheet_or_403(request, slug, number)
    if refused := method_not_allowed(request, "POST"):
        return refused
    form = NoteForm(request.POST, sheet=sheet)
    if form.is_valid():
        try:
            services.add_note(sheet, form, request.user)
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
        messages.success(request, _("Note added."))
        return redirect("actions:detail", slug=slug, number=number)
    context = detail_context(request, access, sheet, note_form=form)
    return render(request, "actions/sheet_detail.html", context, status=400)


@login_required
def step_done(request, slug, number, step_id):
    access, sheet = get_editable_sheet_or_403(request, slug, number)
    if refused := method_not_allowed(request, "POST"):
        return refused
    step = get_object_or_404(Step, pk=step_id, sheet=sheet)
    form = StepDoneForm(request.POST)
    if not form.is_valid():
        context = detail_context(request, access, sheet, step_form_errors={step.pk: form})
        return render(request, "actions/sheet_detail.html", context, status=400)
    if step.done_on is not None:
        messages.info(request, _("This step was already done."))
    else:
        services.mark_step_done(sheet, step, form.cleaned_data["done_on"])
        messages.success(request, _("Step “%(step)s” done.") % {"step": step.title})
    return redirect("actions:detail", slug=slug, number=number)


@login_required
def value_add(request, slug, number, indicator_id):
    access, sheet = get_editable_sheet_or_403(request, slug, number)
    if refused := method_not_allowed(request, "POST"):
        return refused
    try:
        indicator = Indicator.objects.get(pk=indicator_id, sheet=sheet)
    except Indicator.DoesNotExist:
        raise Http404(_("No such indicator.")) from None
    form = IndicatorValueForm(
        request.POST,
        instance=IndicatorValue(indicator=indicator),
        prefix=f"value-{indicator.pk}",
    )
    if form.is_valid():
        form.save()
        messages.success(request, _("Value recorded."))
        return redirect("actions:detail", slug=slug, number=number)
    context = detail_context(request, access, sheet, value_form=form, value_indicator=indicator.pk)
    return render(request, "actions/sheet_detail.html", context, status=400)
