"""Writes to a convention itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from .models import Convention

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@transaction.atomic
def set_public(convention: Convention, public: bool, user: User) -> bool:
    """Publish (or withdraw) the public page, once: False (nothing written) when it already
    was. An explicit state, not a toggle: a post sent twice, or by two people, cannot undo
    itself. The history says who did it."""
    locked = Convention.objects.select_for_update().get(pk=convention.pk)
    if locked.is_public == public:
        convention.is_public = public
        return False
    locked.is_public = public
    locked._history_user = user  # type: ignore[attr-defined]
    locked.save(update_fields=["is_public"])
    convention.is_public = public
    return True
