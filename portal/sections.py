"""What the steering (committees) and the documents add to the pages of the domains below them:
the meetings and decisions of a sheet on its page, the documents of a sheet, a meeting and a
funding year on theirs (see ctg_portal.sections). Registered by `PortalConfig.ready`."""

from django.utils import timezone

from committees.queries import sheet_decisions, sheet_meetings
from ctg_portal.sections import Section, register
from documents.queries import attached


def sheet_steering(request, access, *, sheet):
    """The meetings that discussed the sheet and the decisions that concern it."""
    now = timezone.now()
    today = timezone.localdate()
    decisions = sheet_decisions(sheet, today)
    return Section(
        "committees/includes/sheet_steering.html",
        {
            "sheet_meetings": sheet_meetings(sheet, now),
            "sheet_decisions": decisions,
            "overdue_decision_count": sum(1 for d in decisions if d.is_overdue),
        },
    )


def sheet_documents(request, access, *, sheet):
    return Section(
        "documents/includes/attached.html",
        {"attached": attached(access, sheet=sheet, next_url=request.path)},
    )


def meeting_documents(request, access, *, meeting):
    return Section(
        "documents/includes/attached.html",
        {"attached": attached(access, meeting=meeting, next_url=request.path)},
    )


def funding_year_documents(request, access, *, year):
    return Section(
        "documents/includes/attached.html",
        {"attached": attached(access, funding_year=year, next_url=request.get_full_path())},
    )


def register_sections():
    register("sheet", sheet_steering, order=10)
    register("sheet", sheet_documents, order=20)
    register("meeting", meeting_documents, order=10)
    register("funding_year", funding_year_documents, order=10)
