"""Writes to a convention's funding that span several rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from .models import FundingAmount, FundingLine

if TYPE_CHECKING:
    from decimal import Decimal

    from .forms import AmountsForm


class AmountsChanged(Exception):
    """Cells changed by someone else between the form's check and the write."""

    def __init__(self, conflicts: list[tuple[FundingLine, int, Decimal | None]]) -> None:
        super().__init__(f"{len(conflicts)} amount(s) changed meanwhile")
        self.conflicts = conflicts


@transaction.atomic
def save_amounts(form: AmountsForm) -> int:
    """Write the cells the user changed, all or nothing; the number written.

    The lines concerned are locked, then each cell is checked again against the value the user
    saw: of two saves of one cell at once, the second sees the first's value and is refused
    (AmountsChanged) unless it writes the same amount. Cells the user left alone are not
    written, so a colleague's change to them stays.
    """
    touched = form.touched()
    line_ids = sorted({line.pk for line, _year, _seen, _new in touched})
    list(FundingLine.objects.select_for_update().filter(pk__in=line_ids).order_by("pk"))
    current = {
        (line_id, year): planned
        for line_id, year, planned in FundingAmount.objects.filter(line__in=line_ids).values_list(
            "line_id", "year", "planned"
        )
    }
    conflicts = form.conflicts(current)
    if conflicts:
        raise AmountsChanged(conflicts)
    written = 0
    for line, year, _seen, new in touched:
        if current.get((line.pk, year)) == new:
            continue  # already so (the same change made by someone else)
        amount, created = FundingAmount.objects.get_or_create(
            line=line, year=year, defaults={"planned": new}
        )
        if not created:
            amount.planned = new
            amount.save(update_fields=["planned"])
        written += 1
    return written
