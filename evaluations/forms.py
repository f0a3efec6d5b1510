"""The evaluation's forms: the conclusion and recommendations, and one objective's four
questions (four sub-forms, one per question, and one token that makes the post write once).
Indicators are offered from the objective's sheets only: a forged id of another objective or
convention is refused with Django's French "invalid choice"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ctg_portal.fields import SafeModelMultipleChoiceField
from ctg_portal.forms import OnceForm
from ctg_portal.validators import no_control_characters

from .models import QUESTION_HELP, Evaluation, Question, Rating
from .services import Answer

if TYPE_CHECKING:
    from django.http import QueryDict


class ConclusionForm(OnceForm):
    conclusion = forms.CharField(
        label=pgettext_lazy("evaluation", "Conclusion"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        validators=[no_control_characters],
    )
    recommendations = forms.CharField(
        label=_("Recommendations for the next convention"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        validators=[no_control_characters],
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, evaluation: Evaluation | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if evaluation is not None:
            self.initial.update(
                conclusion=evaluation.conclusion,
                recommendations=evaluation.recommendations,
                version=evaluation.version,
            )
        else:
            self.initial["version"] = 1  # nothing written yet: counts as version 1, empty


class IndicatorChoiceField(SafeModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        unit = f" ({obj.unit})" if obj.unit else ""
        return str(_("Sheet %(number)s — %(label)s")) % {
            "number": obj.sheet.number,
            "label": f"{obj.label}{unit}",
        }


class AnswerForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=pgettext_lazy("evaluation", "Rating"),
        choices=[("", pgettext_lazy("evaluation", "not rated")), *Rating.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    evidence = forms.CharField(
        label=pgettext_lazy("evaluation", "Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[no_control_characters],
    )
    indicators = IndicatorChoiceField(
        label=_("Indicators it rests on"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, question: str, indicators: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question = question
        self.label = dict(Question.choices)[question]
        self.help = QUESTION_HELP[Question(question)]
        field = cast(IndicatorChoiceField, self.fields["indicators"])
        field.queryset = indicators
        field.error_messages["invalid_choice"] = _(
            "Choose indicators of this objective's sheets: %(value)s is not one of them."
        )

    def answer(self) -> Answer:
        data = self.cleaned_data
        return Answer(data["rating"], data["evidence"], list(data["indicators"]), data["version"])


class ObjectiveForm:
    """The four questions of one objective, each a sub-form prefixed with its question, and
    the one-time token of the post."""

    def __init__(self, data: QueryDict | None, *, saved: dict, indicators: Any) -> None:
        self.once = OnceForm(data)
        choices = list(indicators)
        queryset = indicators
        self.answers = []
        for question in Question.values:
            row = saved.get(question)
            initial = {"version": row.version if row else 1}
            if row is not None:
                initial.update(
                    rating=row.rating,
                    evidence=row.evidence,
                    indicators=[i.pk for i in row.indicators.all()],
                )
            form = AnswerForm(
                data, prefix=question, initial=initial, question=question, indicators=queryset
            )
            # The options read once for the four sub-forms.
            field = cast(IndicatorChoiceField, form.fields["indicators"])
            field.choices = [(i.pk, field.label_from_instance(i)) for i in choices]
            self.answers.append(form)

    def is_valid(self) -> bool:
        return all([self.once.is_valid(), *(form.is_valid() for form in self.answers)])

    @property
    def errors(self) -> bool:
        return bool(self.once.errors) or any(form.errors for form in self.answers)

    def cleaned_answers(self) -> dict[str, Answer]:
        return {form.question: form.answer() for form in self.answers}

    @property
    def submission(self) -> str:
        return self.once.cleaned_data["submission"]
