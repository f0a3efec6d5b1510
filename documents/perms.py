"""Who may add and delete documents (see conventions/perms.py for the access helpers).

Every member of a convention (and the people of its CAF) reads its documents. Coordinators
(and superusers) add documents to the convention, any sheet, any meeting and any funding year,
and delete any; a pilot adds documents to the sheets they pilot and deletes those. Archived
sheets take no new document (they are read-only for everyone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404
from django.utils.translation import gettext as _

from actions.models import ActionSheet

from .models import Document

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from conventions.perms import ConventionAccess


def uploadable_sheets(access: ConventionAccess) -> QuerySet[ActionSheet]:
    """The sheets `access`'s user may attach documents to (a QuerySet, maybe empty)."""
    sheets = ActionSheet.objects.filter(convention=access.convention).active()
    if access.is_coordinator:
        return sheets
    if access.is_pilot:
        return sheets.filter(pilots=access.user)
    return sheets.none()


def can_add_anywhere(access: ConventionAccess) -> bool:
    """Attach to the convention itself, a meeting or a funding year: coordinators only."""
    return access.is_coordinator


def can_add(access: ConventionAccess) -> bool:
    """May add documents somewhere: coordinators, and pilots (on the sheets they pilot)."""
    return access.is_coordinator or access.is_pilot


def piloted_sheet_ids(access: ConventionAccess) -> set[int]:
    """The ids of the sheets the user pilots in the convention (one query; none for others)."""
    if not access.is_pilot:
        return set()
    return set(
        ActionSheet.objects.filter(convention=access.convention, pilots=access.user).values_list(
            "pk", flat=True
        )
    )


def can_delete(access: ConventionAccess, document: Document, piloted: set[int]) -> bool:
    """Coordinators delete any document; a pilot, those of the sheets they pilot (`piloted`,
    from piloted_sheet_ids)."""
    if access.is_coordinator:
        return True
    return document.sheet_id is not None and document.sheet_id in piloted


def get_document_or_404(
    access: ConventionAccess, pk: int, *, deleted_too: bool = False
) -> Document:
    """The document `pk` of the convention, not deleted (unless `deleted_too`): a document of
    another convention is as missing as one that does not exist."""
    manager = Document.all_objects if deleted_too else Document.objects
    try:
        return manager.select_related("sheet", "meeting", "uploaded_by").get(
            convention=access.convention, pk=pk
        )
    except Document.DoesNotExist:
        raise Http404(_("No such document.")) from None
