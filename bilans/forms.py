"""The forms of the bilans: a sheet's review of a year, its validation and reopening, and the
year's synthesis. Each carries the version it was opened on (0: nothing saved yet) and a
one-time token (a double click writes once)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _

from actions.models import ActionSheet
from committees.models import Meeting
from ctg_portal.forms import OnceForm

from .models import SheetReview, YearBilan


def version_field() -> forms.IntegerField:
    return forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ReviewForm(OnceForm, forms.ModelForm):
    """What the pilots and coordinators write; `action` says whether it is also submitted."""

    SAVE, SUBMIT = "save", "submit"

    version = version_field()
    action = forms.ChoiceField(
        choices=[(SAVE, SAVE), (SUBMIT, SUBMIT)], widget=forms.HiddenInput, required=False
    )

    class Meta:
        model = SheetReview
        fields = ["achievements", "difficulties", "adjustments", "proposed_status", "comment"]
        widgets = {
            name: forms.Textarea(attrs={"rows": 4})
            for name in ["achievements", "difficulties", "adjustments", "comment"]
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", self.instance.version)
        status = self.fields["proposed_status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [("", _("— not proposed —")), *ActionSheet.Status.choices]

    @property
    def submits(self) -> bool:
        return self.cleaned_data.get("action") == self.SUBMIT


def meeting_choices(convention: Any) -> Any:
    """The convention's meetings, the COPILs first, latest first within each kind."""
    copil_first = Case(
        When(kind=Meeting.Kind.COPIL, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return Meeting.objects.filter(convention=convention).order_by(copil_first, "-starts_at", "-pk")


class ValidateForm(OnceForm):
    """A coordinator's validation, naming the approving meeting when there is one."""

    version = version_field()
    meeting = forms.ModelChoiceField(
        queryset=Meeting.objects.none(),
        required=False,
        label=_("Approving meeting"),
        empty_label=_("— no meeting —"),
    )

    def __init__(self, *args: Any, convention: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["meeting"]
        field.queryset = meeting_choices(convention)  # type: ignore[attr-defined]
        field.label_from_instance = lambda meeting: str(meeting)  # type: ignore[attr-defined]


class ReopenForm(OnceForm):
    version = version_field()


class SynthesisForm(OnceForm, forms.ModelForm):
    """The coordinator's synthesis of the year."""

    version = version_field()

    class Meta:
        model = YearBilan
        fields = ["synthesis"]
        widgets = {"synthesis": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", self.instance.version)
