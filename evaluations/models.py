"""The evaluation of a convention at the end of its period: for each strategic objective, the
Cnaf's four questions (relevance, effectiveness, efficiency, durability), each rated on a
four-level scale with its evidence and the indicators it rests on; a conclusion and the
recommendations for the next convention.

Both carry a `version`, claimed by every write (evaluations.services): of two saves from one
version exactly one goes through, the other is shown what changed."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from actions.models import Indicator
from conventions.models import Convention, StrategicObjective
from ctg_portal.validators import no_control_characters


class Evaluation(models.Model):
    convention = models.OneToOneField(
        Convention,
        on_delete=models.CASCADE,
        related_name="evaluation",
        verbose_name=_("convention"),
    )
    conclusion = models.TextField(
        pgettext_lazy("evaluation", "conclusion"), blank=True, validators=[no_control_characters]
    )
    recommendations = models.TextField(
        _("recommendations for the next convention"),
        blank=True,
        validators=[no_control_characters],
    )
    # Claimed by every save (evaluations.services.save_conclusion): an edit opened on an
    # older version is refused and shown what changed.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["convention"]

    def __str__(self):
        return str(_("Evaluation of %(convention)s") % {"convention": self.convention})


class Question(models.TextChoices):
    """The Cnaf's four evaluation questions, in the order a report asks them."""

    RELEVANCE = "relevance", _("relevance")
    EFFECTIVENESS = "effectiveness", _("effectiveness")
    EFFICIENCY = "efficiency", _("efficiency")
    DURABILITY = "durability", _("durability")


QUESTION_HELP = {
    Question.RELEVANCE: _("Did the objective answer the needs of the territory?"),
    Question.EFFECTIVENESS: _("Were the expected results reached?"),
    Question.EFFICIENCY: _("Were the means fit for the results?"),
    Question.DURABILITY: _("Will the effects last beyond the convention?"),
}


class Rating(models.IntegerChoices):
    """A four-level scale, without a middle: the evaluators have to lean one way."""

    INSUFFICIENT = 1, _("insufficient")
    TO_IMPROVE = 2, _("to be improved")
    SATISFACTORY = 3, _("satisfactory")
    VERY_SATISFACTORY = 4, _("very satisfactory")


class ObjectiveEvaluation(models.Model):
    """One of the four questions for one objective: its rating, evidence and indicators."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="answers", verbose_name=_("evaluation")
    )
    objective = models.ForeignKey(
        StrategicObjective,
        on_delete=models.CASCADE,
        related_name="evaluation_answers",
        verbose_name=_("strategic objective"),
    )
    question = models.CharField(
        pgettext_lazy("evaluation", "question"), max_length=20, choices=Question.choices
    )
    rating = models.PositiveSmallIntegerField(
        pgettext_lazy("evaluation", "rating"), choices=Rating.choices, null=True, blank=True
    )
    evidence = models.TextField(
        pgettext_lazy("evaluation", "evidence"), blank=True, validators=[no_control_characters]
    )
    indicators = models.ManyToManyField(
        Indicator,
        blank=True,
        related_name="evaluation_answers",
        verbose_name=_("indicators"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = HistoricalRecords(m2m_fields=[indicators])

    class Meta:
        verbose_name = _("answer to an evaluation question")
        verbose_name_plural = _("answers to the evaluation questions")
        ordering = ["evaluation", "objective__number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "objective", "question"],
                name="objective_evaluation_unique_question",
                violation_error_message=_("This question is already answered for this objective."),
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=4),
                name="objective_evaluation_rating_1_4",
                violation_error_message=_("A rating is from 1 to 4."),
            ),
            models.CheckConstraint(
                condition=Q(
                    question__in=["relevance", "effectiveness", "efficiency", "durability"]
                ),
                name="objective_evaluation_question_known",
                violation_error_message=_("Choose one of the four evaluation questions."),
            ),
        ]

    def __str__(self):
        return f"{self.objective.number}. {self.get_question_display()}"

    def clean(self):
        super().clean()
        if (
            self.evaluation_id
            and self.objective_id
            and self.objective.convention_id != self.evaluation.convention_id
        ):
            raise ValidationError(
                {"objective": _("Choose an objective of the evaluated convention.")}
            )


def keep_indicators_within_objective(sender, instance, action, reverse, model, pk_set, **kwargs):
    """An answer rests only on indicators of its objective's sheets, whatever the code that
    links them (the form limits its choices; the admin and scripts meet this guard)."""
    if action != "pre_add" or not pk_set:
        return
    if reverse:  # indicator.evaluation_answers.add(answer…)
        objective_id = Indicator.objects.values_list("sheet__objective_id", flat=True).get(
            pk=instance.pk
        )
        wrong = model._default_manager.filter(pk__in=pk_set).exclude(objective_id=objective_id)
    else:
        wrong = model._default_manager.filter(pk__in=pk_set).exclude(
            sheet__objective_id=instance.objective_id
        )
    if wrong.exists():
        raise ValidationError(_("Choose indicators of this objective's sheets."))


models.signals.m2m_changed.connect(
    keep_indicators_within_objective,
    sender=ObjectiveEvaluation.indicators.through,
    weak=False,
)
