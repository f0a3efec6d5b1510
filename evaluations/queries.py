"""What the evaluation pages read, in a fixed number of queries whatever the number of
objectives, sheets, indicators and values."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Prefetch, Subquery

from actions.models import Indicator, IndicatorValue

from .models import QUESTION_HELP, Evaluation, ObjectiveEvaluation, Question, Rating

if TYPE_CHECKING:
    import datetime

    from conventions.models import Convention, StrategicObjective


@dataclass
class IndicatorFigures:
    """An indicator as the evaluation weighs it: its baseline, its target for the last year of
    the convention, its last measured value and whether that reaches the target."""

    indicator: Indicator
    target: Decimal | None
    last_value: Decimal | None
    last_measured_on: datetime.date | None
    reached: bool | None


@dataclass
class AnswerView:
    question: str
    label: str
    help: str
    rating: int | None
    rating_label: str
    evidence: str
    indicators: list[IndicatorFigures] = field(default_factory=list)


@dataclass
class ObjectiveView:
    objective: StrategicObjective
    answers: list[AnswerView]

    @property
    def rated(self) -> int:
        return sum(1 for answer in self.answers if answer.rating is not None)


def with_last_value(indicators: Any) -> Any:
    """Annotate `last_value` and `last_measured_on`: the indicator's latest measure."""
    latest = IndicatorValue.objects.filter(indicator=OuterRef("pk")).order_by("-measured_on")
    return indicators.annotate(
        last_value=Subquery(latest.values("value")[:1]),
        last_measured_on=Subquery(latest.values("measured_on")[:1]),
    )


def figures_of(indicator: Indicator, convention: Convention) -> IndicatorFigures:
    indicator.sheet.convention = convention  # target_for reads the period: no query
    target = indicator.target_for(convention.end_year)
    last = indicator.last_value  # type: ignore[attr-defined]
    return IndicatorFigures(
        indicator,
        target,
        last,
        indicator.last_measured_on,  # type: ignore[attr-defined]
        indicator.is_reached(last, target),
    )


def evaluation_of(convention: Convention) -> Evaluation | None:
    return Evaluation.objects.filter(convention=convention).first()


def objective_answers(
    convention: Convention, evaluation: Evaluation | None, objective: StrategicObjective | None
) -> dict[tuple[int, str], ObjectiveEvaluation]:
    """The saved answers, by (objective id, question), with their indicators' figures."""
    if evaluation is None:
        return {}
    indicators = with_last_value(
        Indicator.objects.select_related("sheet").order_by("sheet__number", "pk")
    )
    answers = ObjectiveEvaluation.objects.filter(evaluation=evaluation).prefetch_related(
        Prefetch("indicators", queryset=indicators)
    )
    if objective is not None:
        answers = answers.filter(objective=objective)
    return {(answer.objective_id, answer.question): answer for answer in answers}


def answer_view(
    question: str, answer: ObjectiveEvaluation | None, convention: Convention
) -> AnswerView:
    labels, ratings = dict(Question.choices), dict(Rating.choices)
    rating = answer.rating if answer else None
    return AnswerView(
        question=question,
        label=str(labels[question]),
        help=str(QUESTION_HELP[Question(question)]),
        rating=rating,
        rating_label=str(ratings[rating]) if rating else "",
        evidence=answer.evidence if answer else "",
        indicators=[figures_of(i, convention) for i in answer.indicators.all()] if answer else [],
    )


def evaluation_page(convention: Convention) -> tuple[Evaluation | None, list[ObjectiveView]]:
    """The evaluation (None when nothing is written yet) and, per objective in the
    convention's order, its four answers: four queries."""
    evaluation = evaluation_of(convention)
    saved = objective_answers(convention, evaluation, None)
    blocks = []
    for objective in convention.objectives.order_by("number"):
        answers = [
            answer_view(question, saved.get((objective.pk, question)), convention)
            for question in Question.values
        ]
        blocks.append(ObjectiveView(objective, answers))
    return evaluation, blocks


def objective_indicators(convention: Convention, objective: StrategicObjective) -> Any:
    """The indicators an answer about `objective` may rest on: those of its sheets."""
    return with_last_value(
        Indicator.objects.filter(sheet__objective=objective, sheet__convention=convention)
        .select_related("sheet")
        .order_by("sheet__number", "pk")
    )


def objective_figures(convention: Convention, objective: StrategicObjective) -> list:
    return [figures_of(i, convention) for i in objective_indicators(convention, objective)]
