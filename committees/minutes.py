"""The relevé de décisions of a meeting: a PDF (WeasyPrint, through ctg_portal.pdf as the
portal's printouts) and the same content as an editable Word document (python-docx).

Both read one context, built from the meeting page's queries: never a second computation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from ctg_portal.docx import add_table, document_bytes, new_document
from ctg_portal.docx import docx_response as render_docx_response
from ctg_portal.formatting import DASH, display_name, format_moment, french_spacing
from ctg_portal.pdf import pdf_response as render_pdf_response

from . import queries

if TYPE_CHECKING:
    from conventions.perms import ConventionAccess

    from .models import Meeting


def minutes_context(access: ConventionAccess, meeting: Meeting) -> dict:
    today = timezone.localdate()
    return {
        "access": access,
        "convention": access.convention,
        "meeting": meeting,
        "moment": format_moment(meeting.starts_at),
        "attendance": queries.attendance_of(meeting),
        "agenda": queries.agenda_of(meeting, today),
        "decisions": queries.decisions_of(meeting, today),
        "today": today,
    }


def minutes_filename(meeting: Meeting, extension: str) -> str:
    """releve-<slug>-<date of the meeting>.<extension>"""
    return f"releve-{meeting.convention.slug}-{meeting.local_date.isoformat()}.{extension}"


def pdf_response(request, access: ConventionAccess, meeting: Meeting) -> HttpResponse:
    return render_pdf_response(
        request,
        "committees/minutes_print.html",
        minutes_context(access, meeting),
        minutes_filename(meeting, "pdf"),
    )


def labelled(label: str, value: str) -> str:
    """'Lieu : Mairie' with the French spacing of the portal's own text."""
    return french_spacing(_("%(label)s: %(value)s")) % {"label": label, "value": value}


def decision_sheets(decision) -> str:
    return ", ".join(f"{sheet.number}. {sheet.title}" for sheet in decision.sheet_list)


def build_docx(context: dict) -> bytes:
    """The minutes as a Word document: headings, paragraphs and a table of the decisions,
    with Word's own styles, so that partners rework them as any document."""
    convention, meeting = context["convention"], context["meeting"]
    document = new_document(_("Record of decisions — %(meeting)s") % {"meeting": meeting.label})

    document.add_heading(_("Record of decisions"), level=0)
    document.add_paragraph(convention.title)
    document.add_heading(f"{meeting.label} — {meeting.title}", level=1)
    document.add_paragraph(labelled(_("Kind"), meeting.get_kind_display()))
    document.add_paragraph(labelled(_("Date and time"), context["moment"]))
    document.add_paragraph(labelled(_("Place"), meeting.place or DASH))

    document.add_heading(_("Attendance"), level=2)
    if context["attendance"]:
        for label, names in context["attendance"]:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{label.capitalize()} ({len(names)})").bold = True
            paragraph.add_run(french_spacing(" : ") + ", ".join(names))
    else:
        document.add_paragraph(_("No one invited."))

    document.add_heading(_("Agenda"), level=2)
    if context["agenda"]:
        for item in context["agenda"]:
            paragraph = document.add_paragraph(style="List Number")
            paragraph.add_run(item.title).bold = True
            if item.sheet_list:
                sheets = ", ".join(
                    f"{sheet.number}. {sheet.title} ({sheet.status_label}, {sheet.progress} %)"
                    for sheet in item.sheet_list
                )
                paragraph.add_run("\n" + labelled(_("Sheets"), sheets))
            if item.notes:
                paragraph.add_run("\n" + item.notes)
    else:
        document.add_paragraph(_("No agenda item."))

    document.add_heading(_("Decisions"), level=2)
    decisions = context["decisions"]
    if decisions:
        headers = [_("No."), _("Decision"), _("Sheets"), _("Owner"), _("Due date"), _("State")]
        add_table(
            document,
            headers,
            (
                [
                    str(number),
                    decision.text,
                    decision_sheets(decision) or DASH,
                    display_name(decision.owner) if decision.owner_id else DASH,
                    decision.due_on.strftime("%d/%m/%Y") if decision.due_on else DASH,
                    decision.state_label,
                ]
                for number, decision in enumerate(decisions, start=1)
            ),
        )
    else:
        document.add_paragraph(_("No decision recorded."))

    if meeting.minutes:
        document.add_heading(_("Minutes"), level=2)
        for block in meeting.minutes.split("\n\n"):
            document.add_paragraph(block.strip())

    return document_bytes(document)


def docx_response(access: ConventionAccess, meeting: Meeting) -> HttpResponse:
    return render_docx_response(
        build_docx(minutes_context(access, meeting)), minutes_filename(meeting, "docx")
    )
