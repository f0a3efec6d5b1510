"""What the documents pages read: a fixed number of queries whatever the number of
documents."""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.utils.translation import gettext as _

from actions.models import ActionSheet
from committees.models import Meeting

from .forms import DocumentForm, meeting_value, sheet_value, year_value
from .models import Document
from .perms import can_add, can_delete, piloted_sheet_ids, uploadable_sheets

PAGE_SIZE = 25


def listed(convention):
    """The convention's documents (not deleted), what each row shows joined in."""
    return Document.objects.of_convention(convention).select_related(
        "sheet", "meeting", "uploaded_by"
    )


def filter_choices(convention):
    """The sheets and meetings the list can be filtered by (two queries)."""
    sheets = list(
        ActionSheet.objects.filter(convention=convention)
        .order_by("number")
        .only("pk", "number", "title")
    )
    meetings = list(Meeting.objects.filter(convention=convention).order_by("starts_at", "pk"))
    return sheets, meetings


def document_page(access, documents, page_number):
    """One page of `documents`, each marked `deletable` for `access`'s user."""
    page = Paginator(documents, PAGE_SIZE).get_page(page_number)
    piloted = piloted_sheet_ids(access)
    for document in page:
        document.deletable = can_delete(access, document, piloted)
    return page


@dataclass
class Attached:
    """The documents of one sheet, meeting or funding year, and the form to add one there
    (None when the user may not): what `documents/includes/attached.html` shows."""

    documents: list
    form: DocumentForm | None
    convention: object
    heading: str


def attached(access, *, sheet=None, meeting=None, funding_year=None, next_url=""):
    """The include's context for the page of `sheet`, `meeting` or `funding_year` (one of
    them) of `access`'s convention; `next_url` is where an added document leads back to."""
    documents = listed(access.convention)
    heading = _("Documents")
    if sheet is not None:
        documents, target = documents.filter(sheet=sheet), sheet_value(sheet.pk)
        allowed = uploadable_sheets(access).filter(pk=sheet.pk).exists()
    elif meeting is not None:
        documents, target = documents.filter(meeting=meeting), meeting_value(meeting.pk)
        allowed = access.is_coordinator
    else:
        documents = documents.filter(funding_year=funding_year)
        target = year_value(funding_year)
        heading = _("Documents of %(year)s") % {"year": funding_year}
        allowed = access.is_coordinator
    documents = list(documents)
    piloted = piloted_sheet_ids(access)
    for document in documents:
        document.deletable = can_delete(access, document, piloted)
    form = None
    if allowed and can_add(access):
        # Its own ids: the page it is added to may hold another form (a meeting's decision form).
        form = DocumentForm(
            access=access,
            fixed_target=target,
            initial={"next": next_url},
            auto_id="id_document_%s",
        )
    return Attached(documents=documents, form=form, convention=access.convention, heading=heading)
