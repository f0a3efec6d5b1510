"""Writes of the evaluation, each in one transaction, none lost to a concurrent one.

The evaluation and each answer carry a `version`: a save claims it with one conditional UPDATE
(as actions.services.claim_version does for a sheet), so of two saves from one version exactly
one goes through; the other is refused (EvaluationChanged), nothing written, and shown what
changed, from the history. A row not written yet counts as version 1, empty: it is created
(once, whoever comes first: the database's unique constraint) then claimed like any other, so
that two first saves at once also clash.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from actions.history import Change, Entry, author_name
from committees.services import shown
from ctg_portal.formatting import french_spacing

from .models import Evaluation, ObjectiveEvaluation, Question

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import Field, Model

    from actions.models import Indicator
    from conventions.models import Convention, StrategicObjective


class EvaluationChanged(Exception):
    """Someone else saved what the user edits since they opened it: nothing was written.

    `entries`: what changed (actions.history.Entry, oldest first); `versions`: the current
    versions ({"evaluation": n} or {question: n}), for the form to carry if the user saves
    again knowingly.
    """

    def __init__(self, entries: list[Entry], versions: dict[str, int]) -> None:
        super().__init__("The evaluation changed meanwhile")
        self.entries = entries
        self.versions = versions


@dataclass
class Answer:
    """What the objective form gives for one question."""

    rating: int | None
    evidence: str
    indicators: list[Indicator]
    version: int


def claim(model: type[Model], pk: int, expected: int) -> bool:
    """Move the row from version `expected` to the next in one conditional UPDATE."""
    return bool(
        model._default_manager.filter(pk=pk, version=expected).update(version=F("version") + 1)
    )


def row_of(model: type[Model], user: User, **lookup: Any) -> Any:
    """The row of `lookup`, created empty (version 1) when missing; two creations at once
    make one row (the unique constraint refuses the second, which then reads the first)."""
    try:
        return model._default_manager.get(**lookup)
    except model.DoesNotExist:  # type: ignore[attr-defined]
        pass
    row = model(**lookup)
    row._history_user = user  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return model._default_manager.get(**lookup)
    return row


def changes_since(row: Evaluation | ObjectiveEvaluation, version: int, prefix: str = "") -> list:
    """The saves of `row` after it stood at `version`, oldest first: one Entry each (who,
    when, each field as old → new; a text or the indicators as "changed")."""
    records = list(
        row.history.filter(version__gte=version)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    told = ["conclusion", "recommendations", "rating", "evidence", "indicators"]
    entries = []
    for old, new in itertools.pairwise(records):
        entry = Entry(new.history_date, author_name(new))
        delta = new.diff_against(old, included_fields=[f for f in told if hasattr(new, f)])
        for change in sorted(delta.changes, key=lambda c: told.index(c.field)):
            field = cast("Field", type(row)._meta.get_field(change.field))
            label = f"{prefix}{capfirst(field.verbose_name)}"
            if change.field in ("rating",):
                entry.add(Change(label, shown(field, change.old, {}), shown(field, change.new, {})))
            else:
                text = french_spacing(_("%(field)s: text changed")) % {"field": label}
                if change.field == "indicators":
                    text = french_spacing(_("%(field)s: changed")) % {"field": label}
                entry.add(Change(label, text=text))
        if entry.changes:
            entries.append(entry)
    return entries


@transaction.atomic
def save_conclusion(
    convention: Convention, conclusion: str, recommendations: str, expected: int, user: User
) -> Evaluation:
    """Save the conclusion and recommendations as the evaluation's next version;
    EvaluationChanged (nothing written) when it was saved since version `expected`."""
    evaluation = row_of(Evaluation, user, convention=convention)
    if not claim(Evaluation, evaluation.pk, expected):
        current = Evaluation.objects.values_list("version", flat=True).get(pk=evaluation.pk)
        raise EvaluationChanged(changes_since(evaluation, expected), {"evaluation": current})
    evaluation.version = expected + 1
    evaluation.conclusion = conclusion
    evaluation.recommendations = recommendations
    evaluation._history_user = user
    evaluation.save()
    return evaluation


@transaction.atomic
def save_objective(
    convention: Convention,
    objective: StrategicObjective,
    answers: dict[str, Answer],
    user: User,
) -> list[ObjectiveEvaluation]:
    """Save the answers of `objective` to the four questions, each as its next version; if
    any was saved since the version the user saw, EvaluationChanged and nothing written."""
    evaluation = row_of(Evaluation, user, convention=convention)
    rows = {
        question: row_of(
            ObjectiveEvaluation, user, evaluation=evaluation, objective=objective, question=question
        )
        for question in Question.values
        if question in answers
    }
    stale = [q for q, row in rows.items() if not claim(type(row), row.pk, answers[q].version)]
    if stale:
        labels = dict(Question.choices)
        entries = [
            entry
            for question in stale
            for entry in changes_since(
                rows[question],
                answers[question].version,
                prefix=f"{capfirst(labels[question])} — ",
            )
        ]
        versions = dict(
            ObjectiveEvaluation.objects.filter(
                pk__in=[row.pk for row in rows.values()]
            ).values_list("question", "version")
        )
        raise EvaluationChanged(sorted(entries, key=lambda e: e.when), versions)
    for question, row in rows.items():
        answer = answers[question]
        row.rating, row.evidence = answer.rating, answer.evidence
        row.version = answer.version + 1
        row._history_user = user
        # One history record per save, holding the new indicators: the links are set
        # without a record of their own, then the row is saved.
        row.skip_history_when_saving = True
        try:
            row.indicators.set(answer.indicators)
        finally:
            del row.skip_history_when_saving
        row.save()
    return list(rows.values())
