"""What the meetings pages read, as queries: views call these and render, nothing more.
Each page reads a fixed number of queries, whatever the number of meetings, items, sheets,
attendees or decisions."""

from django.core.paginator import Paginator
from django.db.models import Case, F, Prefetch, When

from actions.models import ActionSheet, ProgressNote, Step
from actions.queries import with_status_badges
from conventions.models import StrategicObjective
from ctg_portal.formatting import display_name, format_moment

from .models import AgendaItem, Attendance, Decision, Meeting

PAGE_SIZE = 30


def labels_of(choices):
    """{value: label} of a model's choices, each translated once per page."""
    return {value: str(label) for value, label in choices}


def meeting_years(convention):
    """The years the list's filter offers: the convention's, and any other a meeting is in."""
    years = set(convention.years)
    meetings = Meeting.objects.filter(convention=convention).order_by()
    years |= {moment.year for moment in meetings.datetimes("starts_at", "year")}
    return sorted(years)


def meeting_page(convention, filters, now, today, page_number):
    """One page of the convention's meetings, the upcoming first (soonest first), then the past
    ones (latest first), filtered by `filters`; each with its kind and state labels and its
    decision counts. The page's `upcoming` and `past` split its rows."""
    base = filters.filter(Meeting.objects.filter(convention=convention))
    rows = base.upcoming_first(now).with_decision_counts(today)
    paginator = Paginator(rows, PAGE_SIZE)
    paginator.count = base.count()  # without the annotations the rows show
    page = paginator.get_page(page_number)
    kinds, states = labels_of(Meeting.Kind.choices), labels_of(Meeting.State.choices)
    meetings = list(page.object_list)
    for meeting in meetings:
        meeting.kind_label = kinds.get(meeting.kind, meeting.kind)
        meeting.state_label = states.get(meeting.state, meeting.state)
        meeting.moment = format_moment(meeting.starts_at)
    page.object_list = meetings
    page.upcoming = [meeting for meeting in meetings if meeting.is_upcoming]
    page.past = [meeting for meeting in meetings if not meeting.is_upcoming]
    return page


# The session mode shows each sheet's latest notes: where it stands, not its whole story.
SESSION_NOTES = 3


def sheets_in_detail(today):
    """The sheets with, for the session mode, `step_list` (in order, each with `is_late`) and
    `latest_notes` (the SESSION_NOTES latest, with their author): two queries in all, sliced
    by the database (a window per sheet), whatever the number of items, sheets or notes."""
    return ActionSheet.objects.with_lateness(today).prefetch_related(
        Prefetch(
            "steps",
            queryset=Step.objects.with_lateness(today).order_by("position", "due_on", "pk"),
            to_attr="step_list",
        ),
        Prefetch(
            "notes",
            queryset=ProgressNote.objects.select_related("author").order_by(
                "-written_on", "-created_at", "-pk"
            )[:SESSION_NOTES],
            to_attr="latest_notes",
        ),
    )


def agenda_of(meeting, today, *, details=False):
    """The meeting's agenda in order, each item with `objective_list` and `sheet_list`: the
    sheets it names in their live state (status badge, progress, `is_late`); with `details`,
    each sheet also with its steps and latest notes (see `sheets_in_detail`)."""
    sheets = sheets_in_detail(today) if details else ActionSheet.objects.with_lateness(today)
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .order_by("position", "pk")
        .prefetch_related(
            Prefetch(
                "objectives",
                queryset=StrategicObjective.objects.order_by("number"),
                to_attr="objective_list",
            ),
            Prefetch(
                "sheets",
                queryset=sheets.order_by("number"),
                to_attr="sheet_list",
            ),
        )
    )
    for item in items:
        item.sheet_list = with_status_badges(item.sheet_list)
    return items


def attendance_of(meeting):
    """[(status label, [names])] in the order of the statuses, the empty ones left out:
    members by name, then organisations by name."""
    groups = {status: [] for status in Attendance.Status.values}
    rows = Attendance.objects.filter(meeting=meeting).select_related("user", "partner")
    for row in rows.order_by("pk"):
        name = display_name(row.user) if row.user_id else row.partner.name
        groups.setdefault(row.status, []).append((row.partner_id is not None, name.lower(), name))
    labels = labels_of(Attendance.Status.choices)
    return [
        (labels.get(status, status), [name for *_key, name in sorted(names)])
        for status, names in groups.items()
        if names
    ]


def decisions_of(meeting, today):
    """The meeting's decisions in the order they were recorded, each with `is_overdue`, its
    state label, `sheet_list` (number and title) and the labels of the change it made."""
    decisions = list(
        Decision.objects.filter(meeting=meeting)
        .with_overdue(today)
        .select_related("owner", "pilot_to_add")
        .prefetch_related(
            Prefetch(
                "sheets",
                queryset=ActionSheet.objects.order_by("number").only("pk", "number", "title"),
                to_attr="sheet_list",
            )
        )
        .order_by("pk")
    )
    states, statuses = labels_of(Decision.State.choices), labels_of(ActionSheet.Status.choices)
    for decision in decisions:
        decision.state_label = states.get(decision.state, decision.state)
        decision.new_status_label = statuses.get(decision.new_status, "")
    return decisions


def sheet_meetings(sheet, now):
    """The meetings whose agenda named `sheet`, the latest first, each with its kind and state
    labels and `is_upcoming`: one query."""
    meetings = list(
        Meeting.objects.filter(agenda_items__sheets=sheet).distinct().order_by("-starts_at", "-pk")
    )
    kinds, states = labels_of(Meeting.Kind.choices), labels_of(Meeting.State.choices)
    for meeting in meetings:
        meeting.kind_label = kinds.get(meeting.kind, meeting.kind)
        meeting.state_label = states.get(meeting.state, meeting.state)
        meeting.moment = format_moment(meeting.starts_at)
        meeting.is_upcoming = meeting.starts_at >= now
    return meetings


def sheet_decisions(sheet, today):
    """The decisions that concern `sheet`, the open ones first (overdue first, then by due
    date), then the others, latest meeting first; each with its meeting, owner, `is_overdue`
    and state label: one query."""
    decisions = list(
        Decision.objects.filter(sheets=sheet)
        .with_overdue(today)
        .select_related("meeting", "owner")
        .order_by(
            Case(When(state=Decision.State.OPEN, then=0), default=1),
            F("is_overdue").desc(),
            F("due_on").asc(nulls_last=True),
            F("meeting__starts_at").desc(),
            "pk",
        )
    )
    states = labels_of(Decision.State.choices)
    for decision in decisions:
        decision.state_label = states.get(decision.state, decision.state)
    return decisions
