"""Writes of documents: add one (its file stored under a random name), delete (mark deleted)
and restore — each once, under the document's row lock."""

from django.db import transaction
from django.utils import timezone

from .models import Document


def add_document(form, user):
    """Save the valid DocumentForm `form`'s document, added by `user`.

    The file is written to the storage by the save, inside the caller's transaction: should
    the insert fail, the file just written is removed, so that nothing is left behind.
    """
    document = form.save(commit=False)
    document.uploaded_by = user
    try:
        with transaction.atomic():
            document.save()
    except BaseException:
        # The storage is no transaction: a file written before the failure is removed.
        if document.file and document.file._committed:
            document.file.storage.delete(document.file.name)
        raise
    return document


def delete_document(document, user):
    """Mark `document` deleted by `user`; False when it already was (someone else deleted it
    meanwhile: nothing is written again)."""
    with transaction.atomic():
        current = Document.all_objects.select_for_update().get(pk=document.pk)
        if current.deleted_at is not None:
            return False
        current.deleted_at = timezone.now()
        current.deleted_by = user
        current.save(update_fields=["deleted_at", "deleted_by"])
    return True


def restore_document(document):
    """Bring a deleted document back; False when it was not deleted."""
    with transaction.atomic():
        current = Document.all_objects.select_for_update().get(pk=document.pk)
        if current.deleted_at is None:
            return False
        current.deleted_at = None
        current.deleted_by = None
        current.save(update_fields=["deleted_at", "deleted_by"])
    return True
