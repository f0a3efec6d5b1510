"""Access to the evaluation: every member of the convention reads it (CAF-level members
included), coordinators (and superusers) write it, and only from the convention's last year
on: an evaluation is of a period that is ending or has ended."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.http import Http404
from django.utils.translation import gettext as _

from conventions.models import Convention, StrategicObjective

if TYPE_CHECKING:
    from conventions.perms import ConventionAccess


def can_edit_evaluation(access: ConventionAccess) -> bool:
    """Coordinators (and superusers) write the evaluation; the other members read it."""
    return access.is_coordinator


def is_open(convention: Convention, today: datetime.date) -> bool:
    """The evaluation can be written during the convention's last year and after its end."""
    return today.year >= convention.end_year


def opening_message(convention: Convention) -> str:
    """When the evaluation opens, in French: told on the page and by a refused write."""
    return _(
        "The evaluation can be written from 1 January %(year)s, the last year of the convention."
    ) % {"year": convention.end_year}


def get_objective_or_404(convention: Convention, number: int) -> StrategicObjective:
    """Objective `number` of `convention`: another convention's is as missing as none."""
    try:
        objective = convention.objectives.get(number=number)
    except StrategicObjective.DoesNotExist:
        raise Http404(_("No such objective.")) from None
    objective.convention = convention
    return objective
