import decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q, UniqueConstraint
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from conventions.models import Partner
from ctg_portal.fields import (
    FrenchDecimalField,
    SafeModelChoiceField,
    SafeModelMultipleChoiceField,
)
from ctg_portal.formatting import display_name
from ctg_portal.forms import DateInput, OnceForm, not_in_future

from . import merge
from .models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step, target_text


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
    convention's objectives, domains and members, its signatories and its territory's EPCI
    (and the communes of that EPCI or of a signing one), plus the partners and pilots the
    sheet already names."""
    signatories = Q(signatures__convention=convention)
    if convention.epci_id:
        signatories |= Q(pk=convention.epci_id)
    named = {"partners": Q(pk__in=[]), "communes": Q(pk__in=[]), "pilots": Q(pk__in=[])}
    if sheet.pk:
        named = {
            "partners": Q(led_action_sheets=sheet) | Q(partner_action_sheets=sheet),
            "communes": Q(commune_action_sheets=sheet),
            "pilots": Q(piloted_sheets=sheet),
        }
    partners = Partner.objects.filter(signatories | named["partners"]).distinct().order_by("name")
    territory = Q(epci__signatures__convention=convention)
    if convention.epci_id:
        territory |= Q(epci_id=convention.epci_id)
    communes = Q(kind=Partner.Kind.COMMUNE) & (signatories | territory)
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

    A clash with such a constraint (the parent and one field of the form: a sheet's number
    within its convention) is that field's error, flagged beside it: Django reports a
    constraint with its own message as the form's.
    """

    scope_fields = ()

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() - set(self.scope_fields)

    def clash_fields(self):
        """{message of a unique constraint on the parent and one field of the form: that field}."""
        fields = {}
        for constraint in self._meta.model._meta.constraints:
            if not isinstance(constraint, UniqueConstraint) or constraint.condition is not None:
                continue
            names = set(constraint.fields) - set(self.scope_fields)
            if len(names) == 1 and (name := names.pop()) in self.fields:
                fields[str(constraint.get_violation_error_message())] = name
        return fields

    def _update_errors(self, errors):
        # Every model error goes through here: the form's validation, and
        # ctg_portal.forms.save_or_clash when the database refused a clash.
        clashes = self.clash_fields()
        if clashes and hasattr(errors, "error_dict") and NON_FIELD_ERRORS in errors.error_dict:
            by_field = {name: list(items) for name, items in errors.error_dict.items()}
            for error in by_field.pop(NON_FIELD_ERRORS):
                name = clashes.get(str(error.message), NON_FIELD_ERRORS)
                by_field.setdefault(name, []).append(error)
            errors = ValidationError(by_field)
        super()._update_errors(errors)


class ActionSheetForm(ScopedModelForm):
    """A fiche action with every field; `version` detects a save made meanwhile by someone else."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The sheet as the form was opened on (signed): the base of a merge with a later save.
    base = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
    # Shown when a pilot unticks themselves (see asks_to_confirm_leaving).
    leave_pilots = forms.BooleanField(
        label=_(
            "I confirm I withdraw from this sheet's pilots (I will no longer be able to edit it)"
        ),
        required=False,
    )
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
            if not self.is_bound:
                self.initial.setdefault("base", merge.sign(merge.state_of(self.instance)))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        # The fields with their errors, without crispy-forms' box of the form's own errors: the
        # page lists every error once, above the form (templates/includes/error_summary.html).
        self.helper.template = "actions/includes/sheet_fields.html"
        self.pilots_column = Div("pilots", css_class="col-md-4")
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
                    self.pilots_column,
                    Div("partners", css_class="col-md-4"),
                    Div("communes", css_class="col-md-4"),
                    css_class="row",
                ),
            ),
            "version",
            "base",
        )

    def asks_to_confirm_leaving(self, access):
        """True when the user unticked themselves from the pilots without confirming it, and
        would lose the right to edit the sheet: a pilot edits only the sheets they pilot,
        coordinators every sheet (actions.perms.can_edit_sheet). The pilots field then tells
        them, and the box to confirm is shown beside it; the form is not to be saved.

        Called on a valid form of a sheet the user may edit (a pilot of it, or a coordinator).
        """
        if access.is_coordinator or self.cleaned_data.get("leave_pilots"):
            return False
        if any(user.pk == access.user.pk for user in self.cleaned_data.get("pilots") or []):
            return False
        self.add_error(
            "pilots",
            _(
                "You are removing yourself from this sheet's pilots: you will no longer be able "
                "to edit it (only its pilots and the coordinators can). Tick yourself again, or "
                "confirm it below."
            ),
        )
        self.pilots_column.fields.append("leave_pilots")
        return True


class StepForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = ["title", "due_on", "done_on"]
        widgets = {"due_on": DateInput, "done_on": DateInput}

    def clean_done_on(self):
        return not_in_future(self.cleaned_data.get("done_on"))


class DecimalsField(forms.TypedChoiceField):
    """An indicator's decimals. A post without it (a page opened before the field existed, a
    merged save: merge.ROWS) changes nothing and keeps the indicator's setting."""

    def has_changed(self, initial, data):
        return data not in (None, "") and super().has_changed(initial, data)


class IndicatorForm(forms.ModelForm):
    """An indicator: its label, kind, baseline (value, date, source), final target and one
    target per year of the convention's period (`years`), composed into `yearly_targets`."""

    decimals = DecimalsField(
        label=capfirst(Indicator._meta.get_field("decimals").verbose_name),
        help_text=Indicator._meta.get_field("decimals").help_text,
        choices=Indicator.Decimals.choices,
        coerce=int,
        required=False,
        initial=Indicator.Decimals.NONE,
    )
    # Fields added after the form was first used: a post without them (a page opened before,
    # a merged save from an older base) changes nothing and keeps the indicator's values.
    kept_when_absent = ("baseline_date", "baseline_source")

    class Meta:
        model = Indicator
        fields = [
            "label",
            "unit",
            "kind",
            "decimals",
            "baseline",
            "baseline_date",
            "baseline_source",
            "target",
        ]
        field_classes = {"baseline": FrenchDecimalField, "target": FrenchDecimalField}
        labels = {"target": _("Final target (end of the period)")}
        widgets = {"baseline_date": DateInput}

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.yearly_targets or {}
        self.years = merge.target_years_of(years, stored)
        for year in self.years:
            value = stored.get(str(year))
            self.fields[merge.target_name(year)] = FrenchDecimalField(
                label=capfirst(_("target %(year)s") % {"year": year}),
                required=False,
                max_digits=14,
                decimal_places=2,
                initial=None if value is None else decimal.Decimal(value),
            )

    @property
    def target_fields(self):
        """The yearly targets' bound fields, in year order (the form lays them out apart)."""
        return [self[merge.target_name(year)] for year in self.years]

    @property
    def main_fields(self):
        """The other visible fields, the deletion box last."""
        targets = {merge.target_name(year) for year in self.years}
        return [field for field in self.visible_fields() if field.name not in targets]

    def is_posted(self, name):
        return self.add_prefix(name) in self.data

    def clean_decimals(self):
        decimals = self.cleaned_data.get("decimals")
        return self.instance.decimals if decimals in (None, "") else decimals

    def clean(self):
        cleaned = super().clean()
        stored = self.instance.yearly_targets or {}
        for name in self.kept_when_absent:
            if not self.is_posted(name):
                cleaned[name] = getattr(self.instance, name)
        targets = {}
        for year in self.years:
            name = merge.target_name(year)
            value = cleaned.get(name) if self.is_posted(name) else stored.get(str(year))
            if value is not None:
                targets[str(year)] = target_text(value)
        cleaned["yearly_targets"] = targets
        return cleaned

    def _post_clean(self):
        if "yearly_targets" in self.cleaned_data:
            self.instance.yearly_targets = self.cleaned_data["yearly_targets"]
        super()._post_clean()

    def _update_errors(self, errors):
        # Indicator.clean refuses a target for a year outside the period: the error is that
        # year's input's (the form has no field "yearly_targets").
        if hasattr(errors, "error_dict") and "yearly_targets" in errors.error_dict:
            by_field = {name: list(items) for name, items in errors.error_dict.items()}
            messages = by_field.pop("yearly_targets")
            period = set(self.instance.sheet.convention.years)
            outside = [
                merge.target_name(year)
                for year in self.years
                if year not in period and str(year) in self.instance.yearly_targets
            ]
            for name in outside or [NON_FIELD_ERRORS]:
                by_field.setdefault(name, []).extend(messages)
            errors = ValidationError(by_field)
        super()._update_errors(errors)


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


class IndicatorRowsFormSet(SheetRowsFormSet):
    """The sheet's indicators, each form with the years of the convention's period."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "years": self.instance.convention.years}

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # The sheet at hand (its convention loaded): Indicator.clean reads its period.
        form.instance.sheet = self.instance
        return form


IndicatorFormSet = forms.inlineformset_factory(
    ActionSheet,
    Indicator,
    form=IndicatorForm,
    formset=IndicatorRowsFormSet,
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


def edit_forms(data, sheet, convention):
    """The edit page's form and formsets, bound to `data` (None: unbound)."""
    form = ActionSheetForm(data, instance=sheet, convention=convention)
    formsets = {
        "steps": StepFormSet(data, instance=sheet, prefix="steps"),
        "indicators": IndicatorFormSet(data, instance=sheet, prefix="indicators"),
    }
    return form, formsets


def post_value(value):
    """A merge state's value as the form posts it."""
    return "" if value is None else str(value)


def edit_data(result, version, base):
    """The POST data of the edit form holding a merge's result (`result`, a merge.Merge)."""
    data = QueryDict(mutable=True)
    for name, value in result.fields.items():
        data[name] = post_value(value)
    for name, ids in result.links.items():
        data.setlist(name, [str(pk) for pk in ids])
    data["version"] = str(version)
    data["base"] = base
    for section, rows in result.rows.items():
        existing = [row for row in rows if row["id"] is not None]
        deleted = [{"id": pk, "DELETE": "on"} for pk in result.deleted[section]]
        new = [row for row in rows if row["id"] is None]
        ordered = existing + deleted + new
        data[f"{section}-TOTAL_FORMS"] = str(len(ordered))
        data[f"{section}-INITIAL_FORMS"] = str(len(existing) + len(deleted))
        for index, row in enumerate(ordered):
            for name, value in row.items():
                if name == "id" and value is None:
                    continue
                data[f"{section}-{index}-{name}"] = post_value(value)
    return data


def apply_choices(data, base):
    """The POST data with the user's choices applied to the conflicts the form was shown with:
    "theirs" puts back the colleague's value (held by the base). The keys left unchosen."""
    data = data.copy()
    unchosen = []
    for conflict in base.get("pending", []):
        key = conflict["key"]
        choice = data.get(f"keep.{key}")
        if choice not in ("theirs", "mine"):
            unchosen.append(conflict)
            continue
        if choice == "mine":
            continue
        section, *rest = key.split(".")
        if section == "fields":
            data[rest[0]] = post_value(base["fields"][rest[0]])
        elif section == "links":
            data.setlist(rest[0], [str(pk) for pk in base["links"][rest[0]]])
        else:
            row_id, name = rest
            value = base.get(section, {}).get(row_id, {}).get(name)
            total = int(data.get(f"{section}-TOTAL_FORMS") or 0)
            for index in range(min(total, FORMSET_LIMITS["absolute_max"])):
                if data.get(f"{section}-{index}-id") == row_id:
                    data[f"{section}-{index}-{name}"] = post_value(value)
    return data, unchosen


def bounded_count(data, key):
    try:
        return max(0, min(int(data.get(key) or 0), FORMSET_LIMITS["absolute_max"]))
    except ValueError:
        return 0


def posted_names(data, section, names):
    """`names` and the yearly targets the post holds for the rows of `section`."""
    years = set()
    for key in data:
        _prefix, _dash, name = key.rpartition("-")
        if key.startswith(f"{section}-") and (year := merge.target_year(name)) is not None:
            years.add(year)
    return names + [merge.target_name(year) for year in sorted(years)]


def without_vanished_rows(data, sheet, base):
    """The POST data without the steps and indicators deleted meanwhile by someone else.

    A row the form showed (it is in the signed base) that no longer exists is dropped when the
    user left it as it was (the deletion stands), and posted as a new row when the user changed
    it (nothing typed is lost). Returns the data and the number of rows kept that way."""
    revived = 0
    if not base:
        return data, revived
    data = data.copy()
    for section, (model, names) in merge.ROWS.items():
        names = posted_names(data, section, names)
        total = bounded_count(data, f"{section}-TOTAL_FORMS")
        initial = min(bounded_count(data, f"{section}-INITIAL_FORMS"), total)
        seen = base.get(section, {})
        ids = {index: data.get(f"{section}-{index}-id", "") for index in range(initial)}
        candidates = [pk for pk in ids.values() if pk in seen]
        existing = {
            str(pk) for pk in model.objects.filter(pk__in=candidates).values_list("pk", flat=True)
        }
        vanished = [index for index, pk in ids.items() if pk in seen and pk not in existing]
        if not vanished:
            continue
        fields = [*names, "id", "DELETE"]
        forms_data = [
            {name: data.getlist(f"{section}-{index}-{name}") for name in fields}
            for index in range(total)
        ]
        kept, new = [], []
        for index, row in enumerate(forms_data):
            if index not in vanished:
                (kept if index < initial else new).append(row)
                continue
            if row["DELETE"] and row["DELETE"][0] not in ("", "false", "off"):
                continue
            before = seen[ids[index]]
            # A field the post does not hold changes nothing (IndicatorForm.kept_when_absent).
            changed = any(
                row[name][0].strip() != post_value(before.get(name)) for name in names if row[name]
            )
            if changed:
                revived += 1
                new.insert(0, {**row, "id": []})
        for index in range(total):
            for name in fields:
                data.pop(f"{section}-{index}-{name}", None)
        for index, row in enumerate(kept + new):
            for name, values in row.items():
                if values:
                    data.setlist(f"{section}-{index}-{name}", values)
        data[f"{section}-TOTAL_FORMS"] = str(len(kept) + len(new))
        data[f"{section}-INITIAL_FORMS"] = str(len(kept))
    return data, revived
