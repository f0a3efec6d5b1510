"""The meetings pages: the list, a meeting (agenda with the sheets' live state, attendance,
decisions), its creation and edit, and the decisions recorded on it."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from conventions.perms import get_convention_access_or_404
from ctg_portal.formatting import display_name, format_moment, french_spacing
from ctg_portal.forms import submit_once
from ctg_portal.http import post_to, posted
from ctg_portal.sections import sections_of

from . import queries, services, session
from .forms import Choices, DecisionForm, DecisionStateForm, MeetingFilterForm, meeting_forms
from .models import Attendance, Decision, Meeting
from .perms import (
    can_manage_meetings,
    get_decision_or_404,
    get_managed_meeting_or_403,
    get_meeting_or_404,
)

CHANGED_MEANWHILE = gettext_lazy(
    "This meeting was saved by someone else since you opened it: check their changes below, "
    "then save again to apply yours."
)


@login_required
@require_safe
def meeting_list(request, slug):
    access = get_convention_access_or_404(request, slug)
    convention = access.convention
    filters = MeetingFilterForm(request.GET or None, years=queries.meeting_years(convention))
    query = request.GET.copy()
    query.pop("page", None)
    page = queries.meeting_page(
        convention, filters, timezone.now(), timezone.localdate(), request.GET.get("page")
    )
    return render(
        request,
        "committees/meeting_list.html",
        {
            "access": access,
            "convention": convention,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "can_manage": can_manage_meetings(access),
        },
    )


def detail_context(request, access, meeting, *, decision_form=None, sheet_conflicts=None):
    """Everything the meeting page shows; a bound decision form with errors can be passed in."""
    today = timezone.localdate()
    can_manage = can_manage_meetings(access)
    if can_manage and decision_form is None:
        decision_form = DecisionForm(
            instance=Decision(meeting=meeting), choices=Choices(access.convention)
        )
    return {
        "access": access,
        "convention": access.convention,
        "meeting": meeting,
        "moment": format_moment(meeting.starts_at),
        "agenda": queries.agenda_of(meeting, today),
        "attendance": queries.attendance_of(meeting),
        "decisions": queries.decisions_of(meeting, today),
        "can_manage": can_manage,
        "decision_form": decision_form,
        "conflict": None,
        "sheet_conflicts": sheet_conflicts,
        "states": Decision.State,
        # The meeting's documents (ctg_portal.sections).
        "sections": sections_of("meeting", request, access, meeting=meeting),
    }


@login_required
@require_safe
def meeting_detail(request, slug, meeting_id):
    access, meeting = get_meeting_or_404(request, slug, meeting_id)
    return render(
        request, "committees/meeting_detail.html", detail_context(request, access, meeting)
    )


def form_page(request, access, meeting, form, formsets, *, conflict=None):
    return render(
        request,
        "committees/meeting_form.html",
        {
            "access": access,
            "convention": access.convention,
            "meeting": meeting if meeting.pk else None,
            "form": form,
            "agenda": formsets["agenda"],
            "attendance": formsets["attendance"],
            "conflict": conflict,
        },
        status=(409 if conflict is not None else 400) if request.method == "POST" else 200,
    )


def formsets_valid(form, formsets):
    return all([form.is_valid(), *(formset.is_valid() for formset in formsets.values())])


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_create(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_manage_meetings(access))
    convention = access.convention
    meeting = Meeting(convention=convention)
    form, formsets = meeting_forms(posted(request), meeting, convention)
    if request.method == "POST" and formsets_valid(form, formsets):
        created, first = submit_once(
            request.user,
            form.cleaned_data["submission"],
            lambda: services.create_meeting(form, formsets.values(), request.user),
        )
        if first:
            messages.success(request, _("Meeting created."))
            return redirect("committees:detail", slug=slug, meeting_id=created.pk)
        messages.info(request, _("This meeting was already recorded."))
        return redirect("committees:list", slug=slug)
    return form_page(request, access, meeting, form, formsets)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_edit(request, slug, meeting_id):
    access, meeting = get_managed_meeting_or_403(request, slug, meeting_id)
    convention = access.convention
    form, formsets = meeting_forms(posted(request), meeting, convention)
    if request.method == "POST" and formsets_valid(form, formsets):
        try:
            _saved, first = submit_once(
                request.user,
                form.cleaned_data["submission"],
                lambda: services.save_meeting(
                    form, formsets.values(), form.cleaned_data["version"], request.user
                ),
            )
        except services.MeetingChanged as changed:
            # The user's input again, carrying the current version: saving it applies it.
            data = request.POST.copy()
            data["version"] = str(changed.version)
            meeting = Meeting.objects.get(pk=meeting.pk)
            form, formsets = meeting_forms(data, meeting, convention)
            formsets_valid(form, formsets)
            form.add_error(None, CHANGED_MEANWHILE)
            return form_page(request, access, meeting, form, formsets, conflict=changed.entries)
        if first:
            messages.success(request, _("Meeting saved."))
        else:
            messages.info(request, _("These changes were already saved."))
        return redirect("committees:detail", slug=slug, meeting_id=meeting.pk)
    return form_page(request, access, meeting, form, formsets)


def decision_url(meeting, decision=None):
    url = reverse("committees:detail", args=[meeting.convention.slug, meeting.pk])
    return f"{url}#{f'decision-{decision.pk}' if decision else 'decisions'}"


def sheets_changed_form(form, changed, *, instance, choices):
    """The decision form bound again to the user's input, carrying the sheets' current
    versions (saving it applies the change knowingly), with the conflict told above it."""
    again = DecisionForm(form.posted_with(changed.versions), instance=instance, choices=choices)
    again.is_valid()
    again.add_error(
        None,
        _(
            "A sheet this decision changes was saved by someone else since you opened the "
            "form: nothing was recorded. Check their changes below, then record again to "
            "apply the decision."
        ),
    )
    return again


@dataclass
class DecisionPost:
    """What posting a decision gave: recorded (the message is set), or the form to show again
    with its errors, and the sheets saved meanwhile when that is why (409)."""

    recorded: bool
    form: DecisionForm
    stale: object = None

    @property
    def status(self):
        return 409 if self.stale is not None else 400


def post_decision(request, meeting, choices):
    """Record the posted decision once (a double post is told so), through the sheets' own
    save: the meeting page's and the session mode's one way of doing it."""
    form = DecisionForm(request.POST, instance=Decision(meeting=meeting), choices=choices)
    if not form.is_valid():
        return DecisionPost(False, form)
    try:
        _decision, first = submit_once(
            request.user,
            form.cleaned_data["submission"],
            lambda: services.record_decision(form, meeting, request.user),
        )
    except services.SheetsChanged as changed:
        again = sheets_changed_form(
            form, changed, instance=Decision(meeting=meeting), choices=choices
        )
        return DecisionPost(False, again, changed.stale)
    except services.SheetRefused as refused:
        form.add_error(None, refused.message)
        return DecisionPost(False, form)
    if first:
        messages.success(request, _("Decision recorded."))
    else:
        messages.info(request, _("This decision was already recorded."))
    return DecisionPost(True, form)


@login_required
@post_to("committees:detail", "slug", "meeting_id")
def decision_add(request, slug, meeting_id):
    access, meeting = get_managed_meeting_or_403(request, slug, meeting_id)
    posted_decision = post_decision(request, meeting, Choices(access.convention))
    if posted_decision.recorded:
        return redirect(decision_url(meeting))
    context = detail_context(
        request,
        access,
        meeting,
        decision_form=posted_decision.form,
        sheet_conflicts=posted_decision.stale,
    )
    return render(request, "committees/meeting_detail.html", context, status=posted_decision.status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def decision_edit(request, slug, meeting_id, decision_id):
    access, meeting = get_managed_meeting_or_403(request, slug, meeting_id)
    decision = get_decision_or_404(meeting, decision_id)
    named = [pk for pk in (decision.owner_id, decision.pilot_to_add_id) if pk]
    choices = Choices(
        access.convention,
        also_users=named,
        also_sheets=Decision.sheets.through.objects.filter(decision=decision).values("actionsheet"),
    )
    form = DecisionForm(posted(request), instance=decision, choices=choices)
    conflict = sheet_conflicts = None
    if request.method == "POST" and form.is_valid():
        try:
            _saved, first = submit_once(
                request.user,
                form.cleaned_data["submission"],
                lambda: services.save_decision(form, form.cleaned_data["version"], request.user),
            )
        except services.DecisionChanged as changed:
            data = request.POST.copy()
            data["version"] = str(changed.version)
            decision = get_decision_or_404(meeting, decision_id)
            form = DecisionForm(data, instance=decision, choices=choices)
            form.is_valid()
            form.add_error(
                None,
                _(
                    "This decision was saved by someone else since you opened it: check "
                    "their changes below, then save again to apply yours."
                ),
            )
            conflict = changed.entries
        except services.SheetsChanged as changed:
            decision = get_decision_or_404(meeting, decision_id)
            form = sheets_changed_form(form, changed, instance=decision, choices=choices)
            sheet_conflicts = changed.stale
        except services.SheetRefused as refused:
            form.add_error(None, refused.message)
        else:
            if first:
                messages.success(request, _("Decision saved."))
            else:
                messages.info(request, _("These changes were already saved."))
            return redirect(decision_url(meeting, decision))
    conflicted = conflict is not None or sheet_conflicts is not None
    return render(
        request,
        "committees/decision_form.html",
        {
            "access": access,
            "convention": access.convention,
            "meeting": meeting,
            "decision": decision,
            "decision_form": form,
            "conflict": conflict,
            "sheet_conflicts": sheet_conflicts,
        },
        status=(409 if conflicted else 400) if request.method == "POST" else 200,
    )


STATE_MESSAGES = {
    Decision.State.OPEN: (
        gettext_lazy("Decision reopened."),
        gettext_lazy("This decision was already open."),
    ),
    Decision.State.DONE: (
        gettext_lazy("Decision marked done."),
        gettext_lazy("This decision was already done."),
    ),
    Decision.State.ABANDONED: (
        gettext_lazy("Decision abandoned."),
        gettext_lazy("This decision was already abandoned."),
    ),
}


@login_required
@post_to("committees:detail", "slug", "meeting_id")
def decision_state(request, slug, meeting_id, decision_id):
    access, meeting = get_managed_meeting_or_403(request, slug, meeting_id)
    decision = get_decision_or_404(meeting, decision_id)
    form = DecisionStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the decision’s new state."))
        context = detail_context(request, access, meeting)
        return render(request, "committees/meeting_detail.html", context, status=400)
    state = form.cleaned_data["state"]
    done, already = STATE_MESSAGES[state]
    if services.set_decision_state(decision, state, request.user):
        messages.success(request, done)
    else:
        messages.info(request, already)
    return redirect(decision_url(meeting, decision))


# --- session mode ------------------------------------------------------------------------


def session_url(meeting, number=None, anchor=""):
    url = reverse("committees:session", args=[meeting.convention.slug, meeting.pk])
    if number:
        url = reverse("committees:session_item", args=[meeting.convention.slug, meeting.pk, number])
    return f"{url}#{anchor}" if anchor else url


def session_context(access, meeting, number, *, decision_form=None, sheet_conflicts=None):
    """The session page of item `number`; a bound decision form with errors can be passed in."""
    today = timezone.localdate()
    page = session.session_page(meeting, number, today)
    can_manage = can_manage_meetings(access)
    if can_manage and decision_form is None:
        sheets = [sheet.pk for sheet in page.item.sheet_list] if page.item else []
        decision_form = DecisionForm(
            instance=Decision(meeting=meeting),
            choices=Choices(access.convention),
            initial={"sheets": sheets},
        )
    return {
        "access": access,
        "convention": access.convention,
        "meeting": meeting,
        "moment": format_moment(meeting.starts_at),
        "page": page,
        "decisions": queries.decisions_of(meeting, today),
        "attendees": session.attendance_rows(meeting) if can_manage else None,
        "attendance": None if can_manage else queries.attendance_of(meeting),
        "statuses": Attendance.Status.choices,
        "can_manage": can_manage,
        "decision_form": decision_form,
        "conflict": None,
        "sheet_conflicts": sheet_conflicts,
    }


def session_page_response(request, context, status=200):
    return render(request, "committees/session.html", context, status=status)


@login_required
@require_safe
def meeting_session(request, slug, meeting_id, number=None):
    """One agenda item per screen: `seance/<n>/`, or `seance/?point=<n>` (the first item by
    default)."""
    access, meeting = get_meeting_or_404(request, slug, meeting_id)
    if number is None:
        number = session.requested_number(request.GET.get("point"))
    return session_page_response(request, session_context(access, meeting, number))


@login_required
@post_to("committees:session_item", "slug", "meeting_id", "number")
def session_decision(request, slug, meeting_id, number):
    """The decision recorded from the session mode: the meeting page's rules, back to the
    same item."""
    access, meeting = get_managed_meeting_or_403(request, slug, meeting_id)
    posted_decision = post_decision(request, meeting, Choices(access.convention))
    if posted_decision.recorded:
        return redirect(session_url(meeting, number, "session-decisions"))
    context = session_context(
        access,
        meeting,
        number,
        decision_form=posted_decision.form,
        sheet_conflicts=posted_decision.stale,
    )
    return session_page_response(request, context, status=posted_decision.status)


@login_required
@post_to("committees:session_item", "slug", "meeting_id", "number")
def session_attendance(request, slug, meeting_id, number):
    """An attendee marked present, excused or absent from the session mode."""
    access, meeting = get_managed_meeting_or_403(request, slug, meeting_id)
    form = session.AttendanceMarkForm(request.POST, meeting=meeting)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        context = session_context(access, meeting, number)
        return session_page_response(request, context, status=400)
    attendance, status = form.cleaned_data["attendance"], form.cleaned_data["status"]
    name = display_name(attendance.user) if attendance.user_id else attendance.partner.name
    label = dict(Attendance.Status.choices)[status]
    if session.mark_attendance(meeting, attendance, status, request.user):
        messages.success(
            request, french_spacing(_("%(name)s: %(state)s.")) % {"name": name, "state": label}
        )
    else:
        messages.info(
            request,
            french_spacing(_("%(name)s was already marked %(state)s."))
            % {"name": name, "state": label},
        )
    return redirect(session_url(meeting, number, "session-attendance"))


# --- minutes -----------------------------------------------------------------------------


@login_required
@require_safe
def minutes_pdf(request, slug, meeting_id):
    """The relevé de décisions as a PDF attachment."""
    access, meeting = get_meeting_or_404(request, slug, meeting_id)
    from . import minutes  # WeasyPrint loads its libraries on import: only for this page

    return minutes.pdf_response(request, access, meeting)


@login_required
@require_safe
def minutes_docx(request, slug, meeting_id):
    """The relevé de décisions as an editable Word document."""
    access, meeting = get_meeting_or_404(request, slug, meeting_id)
    from . import minutes

    return minutes.docx_response(access, meeting)
