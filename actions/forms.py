from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conventions.models import Partner
from ctg_portal.fields import (
    FrenchDecimalField,
    SafeModelChoiceField,
    SafeModelMultipleChoiceField,
)
from ctg_portal.formatting import display_name
from ctg_portal.forms import DateInput, OnceForm, not_in_future

from .models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step


def convention_members(convention, also=None):
    """The members of a convention (and the users `also` selects), ordered by name."""
    members = Q(memberships__convention=convention)
    if also is not None:
        members |= also
    users = get_user_model().objects.filter(members)
    return (users.distinct() if also is not None else users).order_by(
        "last_name", "first_name", "username"
    )


class MemberChoiceField(SafeModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


def sheet_choices(convention, sheet):
    """What a sheet of `convention` may link to, in the portal's form and the admin alike: the
    convention's objectives, domains and members, its signatories (and the communes of a
    signing EPCI), plus the partners and pilots the sheet already names."""
    signatories = Q(signatures__convention=convention)
    named = {"partners": Q(pk__in=[]), "communes": Q(pk__in=[]), "pilots": Q(pk__in=[])}
    if sheet.pk:
        named = {
            "partners": Q(led_action_sheets=sheet) | Q(partner_action_sheets=sheet),
            "communes": Q(commune_action_sheets=sheet),
            "pilots": Q(piloted_sheets=sheet),
        }
    partners = Partner.objects.filter(signatories | named["partners"]).distinct().order_by("name")
    communes = Q(kind=Partner.Kind.COMMUNE) & (
        signatories | Q(epci__signatures__convention=convention)
    )
    return {
        "objective": convention.objectives.all(),
        "domains": convention.domains.all(),
        "lead_partner": partners,
        "partners": partners,
        "communes": Partner.objects.filter(communes | named["communes"])
        .distinct()
        .order_by("name"),
        "pilots": convention_members(convention, also=named["pilots"]),
    }


class ScopedModelForm(forms.ModelForm):
    """A model form whose instance belongs to a parent set by the view, not by a field.

    Django leaves out of uniqueness checks the fields a form does not show; the parent
    (`scope_fields`) is part of the unique constraints, so it must be checked too — else a
    duplicate would reach the database.
    """

    scope_fields = ()

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() - set(self.scope_fields)


class ActionSheetForm(ScopedModelForm):
    """A fiche action with every field; `version` detects a save made meanwhile by someone else."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    scope_fields = ("convention",)

    class Meta:
        model = ActionSheet
        fields = [
            "number",
            "title",
            "objective",
            "domains",
            "status",
            "priority",
            "progress",
            "planned_start",
            "planned_end",
            "description",
            "goals",
            "target_publics",
            "lead_partner",
            "pilots",
            "elected_referent",
            "partners",
            "communes",
        ]
        field_classes = {
            "pilots": MemberChoiceField,
            "objective": SafeModelChoiceField,
            "lead_partner": SafeModelChoiceField,
            "domains": SafeModelMultipleChoiceField,
            "partners": SafeModelMultipleChoiceField,
            "communes": SafeModelMultipleChoiceField,
        }
        widgets = {
            "planned_start": DateInput,
            "planned_end": DateInput,
            "description": forms.Textarea(attrs={"rows": 4}),
            "goals": forms.Textarea(attrs={"rows": 3}),
            "target_publics": forms.Textarea(attrs={"rows": 2}),
            "domains": forms.CheckboxSelectMultiple,
            "progress": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
        }
        help_texts = {"progress": _("From 0 to 100. A completed sheet is at 100 %.")}

    def __init__(self, *args, convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.convention = convention
        for name, queryset in sheet_choices(convention, self.instance).items():
            self.fields[name].queryset = queryset
        for name in ("partners", "communes", "pilots"):
            self.fields[name].widget = forms.CheckboxSelectMultiple()
            self.fields[name].widget.choices = self.fields[name].choices
        if self.instance.pk:
            self.fields["number"].disabled = True
            self.initial.setdefault("version", self.instance.version)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(
                _("Sheet"),
                Div(
                    Div("number", css_class="col-md-2"),
                    Div("title", css_class="col-md-10"),
                    css_class="row",
                ),
                "objective",
                Field("domains"),
            ),
            Fieldset(
                _("Progress"),
                Div(
                    Div("status", css_class="col-md-3"),
                    Div("priority", css_class="col-md-3"),
                    Div("progress", css_class="col-md-2"),
                    Div("planned_start", css_class="col-md-2"),
                    Div("planned_end", css_class="col-md-2"),
                    css_class="row",
                ),
            ),
            Fieldset(_("Content"), "description", "goals", "target_publics"),
            Fieldset(
                _("People and partners"),
                Div(
                    Div("lead_partner", css_class="col-md-6"),
                    Div("elected_referent", css_class="col-md-6"),
                    css_class="row",
                ),
                Div(
                    Div("pilots", css_class="col-md-4"),
                    Div("partners", css_class="col-md-4"),
                    Div("communes", css_class="col-md-4"),
                    css_class="row",
                ),
            ),
            "version",
        )


class StepForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = ["title", "due_on", "done_on"]
        widgets = {"due_on": DateInput, "done_on": DateInput}

    def clean_done_on(self):
        return not_in_future(self.cleaned_data.get("done_on"))


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = ["label", "unit", "kind", "baseline", "target"]
        field_classes = {"baseline": FrenchDecimalField, "target": FrenchDecimalField}


class SheetRowsFormSet(forms.BaseInlineFormSet):
    """Rows of one sheet: the id of an existing row must be one of this sheet's rows.

    Django checks the ids of existing rows against every row of the table; one of another
    sheet (or convention) would be ignored silently. Here it is refused with a form error.
    """

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if index is not None and index < self.initial_form_count():
            form.fields[self._pk_field.name].queryset = self.get_queryset()


# Bounded: a forged TOTAL_FORMS cannot make the server build thousands of forms.
FORMSET_LIMITS = {"max_num": 60, "absolute_max": 60, "validate_max": True}
StepFormSet = forms.inlineformset_factory(
    ActionSheet,
    Step,
    form=StepForm,
    formset=SheetRowsFormSet,
    extra=1,
    can_delete=True,
    **FORMSET_LIMITS,
)
IndicatorFormSet = forms.inlineformset_factory(
    ActionSheet,
    Indicator,
    form=IndicatorForm,
    formset=SheetRowsFormSet,
    extra=1,
    can_delete=True,
    **FORMSET_LIMITS,
)


class NoteForm(OnceForm, forms.ModelForm):
    """A follow-up note, optionally moving the sheet's status and progress in the same post."""

    status = forms.ChoiceField(
        label=_("New status"),
        choices=[("", _("unchanged")), *ActionSheet.Status.choices],
        required=False,
    )
    progress = forms.IntegerField(
        label=_("New progress (%)"), min_value=0, max_value=100, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = ProgressNote
        fields = ["written_on", "text", "is_public", "status", "progress", "version"]
        widgets = {"written_on": DateInput, "text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, sheet, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["written_on"].initial = timezone.localdate
        self.fields["version"].initial = sheet.version
        # The sheet page lays the fields out itself (templates/actions/sheet_detail.html), each
        # as crispy-forms renders it (the ctg |field filter); errors show inline, as with a
        # helper.
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_written_on(self):
        return not_in_future(self.cleaned_data.get("written_on"))

    def sheet_changes(self):
        """The sheet fields this note changes: {field: new value}."""
        changes = {}
        if self.cleaned_data.get("status"):
            changes["status"] = self.cleaned_data["status"]
        if self.cleaned_data.get("progress") is not None:
            changes["progress"] = self.cleaned_data["progress"]
        return changes


class StepDoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=DateInput, initial=timezone.localdate)

    def clean_done_on(self):
        return not_in_future(self.cleaned_data.get("done_on"))


class IndicatorValueForm(ScopedModelForm):
    scope_fields = ("indicator",)

    class Meta:
        model = IndicatorValue
        fields = ["measured_on", "value", "comment"]
        widgets = {"measured_on": DateInput}
        field_classes = {"value": FrenchDecimalField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measured_on"].initial = timezone.localdate

    def clean_measured_on(self):
        return not_in_future(self.cleaned_data.get("measured_on"))
