"""Writes to a convention's funding that span several rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from .models import FundingAmount

if TYPE_CHECKING:
    from collections.abc import Iterable
    from decimal import Decimal

    from .models import FundingLine


@transaction.atomic
def save_amounts(changes: Iterable[tuple[FundingLine, int, Decimal | None, Decimal]]) -> None:
    """Write the planned amounts of `changes`: [(line, year, old, new)], all or nothing."""
    for line, year, _old, new in changes:
        amount, created = FundingAmount.objects.get_or_create(
            line=line, year=year, defaults={"planned": new}
        )
        if not created:
            amount.planned = new
            amount.save(update_fields=["planned"])
