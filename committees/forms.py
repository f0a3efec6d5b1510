"""The forms of the meetings pages: a meeting with its agenda and attendance, a decision, the
list's filters. Every choice offered (members, organisations, sheets, objectives) is one of the
meeting's convention: a forged id is refused with Django's French "invalid choice"."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from actions.forms import SheetRowsFormSet, convention_members
from actions.models import ActionSheet
from conventions.models import Partner
from ctg_portal.fields import SafeModelChoiceField, SafeModelMultipleChoiceField
from ctg_portal.formatting import display_name
from ctg_portal.forms import DateInput, OnceForm

from .models import AgendaItem, Attendance, Decision, Meeting

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeInput(forms.DateTimeInput):
    """The browser's date and time picker; it sends ISO moments whatever the language."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


def short(text, length=70):
    return text if len(text) <= length else f"{text[: length - 1]}…"


def sheet_label(number, title):
    return f"{number}. {short(title)}"


class Choices:
    """The options of a convention's meeting forms, read once per page (one query each) and
    shared by every form and row: members, organisations, objectives and sheets.

    `also_*` add the objects a meeting or decision already names (a former member, an archived
    sheet), so that editing it keeps them valid.
    """

    def __init__(self, convention, *, also_users=None, also_partners=None, also_sheets=None):
        self.convention = convention
        users = Q(pk__in=also_users) if also_users is not None else None
        self.members = convention_members(convention, also=users)
        self.member_options = [(u.pk, display_name(u)) for u in self.members]
        named = (
            Q(signatures__convention=convention)
            | Q(caf_conventions=convention)
            | Q(led_action_sheets__convention=convention)
            | Q(partner_action_sheets__convention=convention)
            | Q(commune_action_sheets__convention=convention)
        )
        if also_partners is not None:
            named |= Q(pk__in=also_partners)
        self.partners = Partner.objects.filter(named).distinct().order_by("name", "pk")
        self.partner_options = [(p.pk, p.name) for p in self.partners]
        self.objectives = convention.objectives.order_by("number")
        self.objective_options = [(o.pk, sheet_label(o.number, o.title)) for o in self.objectives]
        sheets = Q(archived_at__isnull=True)
        if also_sheets is not None:
            sheets |= Q(pk__in=also_sheets)
        self.sheets = ActionSheet.objects.filter(sheets, convention=convention).order_by("number")
        rows = list(self.sheets.values_list("pk", "number", "title", "version"))
        self.sheet_options = [(pk, sheet_label(number, title)) for pk, number, title, _v in rows]
        self.sheet_versions = {pk: version for pk, _n, _t, version in rows}


def offer(field, queryset, options, empty_label=None):
    """Validate against `queryset`, show `options` (read once for the whole page)."""
    field.queryset = queryset
    if isinstance(field, forms.ModelMultipleChoiceField):
        field.choices = options
    else:
        field.choices = [("", empty_label or field.empty_label), *options]


class MeetingForm(OnceForm, forms.ModelForm):
    """A meeting's own fields; `version` refuses an edit opened before someone else's save."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Meeting
        fields = ["kind", "title", "starts_at", "place", "state", "minutes", "is_public"]
        widgets = {
            "starts_at": DateTimeInput,
            "minutes": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args, convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.convention = convention
        self.fields["starts_at"].input_formats = [DATETIME_LOCAL, "%Y-%m-%d %H:%M"]
        if self.instance.pk:
            self.fields["version"].required = True
            self.initial.setdefault("version", self.instance.version)


class AgendaItemForm(forms.ModelForm):
    position = forms.IntegerField(label=_("Position"), min_value=1, max_value=999, required=False)

    class Meta:
        model = AgendaItem
        fields = ["position", "title", "notes", "objectives", "sheets"]
        field_classes = {
            "objectives": SafeModelMultipleChoiceField,
            "sheets": SafeModelMultipleChoiceField,
        }
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        offer(self.fields["objectives"], choices.objectives, choices.objective_options)
        offer(self.fields["sheets"], choices.sheets, choices.sheet_options)
        for name in ("objectives", "sheets"):
            self.fields[name].widget.attrs["size"] = 4
            self.fields[name].help_text = _("Hold Ctrl (or Cmd) to choose several.")

    def clean_position(self):
        # Left empty: after the others (committees.services renumbers the agenda 1, 2, 3…).
        return self.cleaned_data.get("position") or 999


class AttendanceForm(forms.ModelForm):
    class Meta:
        model = Attendance
        fields = ["user", "partner", "status"]
        field_classes = {"user": SafeModelChoiceField, "partner": SafeModelChoiceField}

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        offer(self.fields["user"], choices.members, choices.member_options, "—")
        offer(self.fields["partner"], choices.partners, choices.partner_options, "—")
        self.fields["user"].help_text = _("A member of the convention…")
        self.fields["partner"].help_text = _("…or a partner organisation.")

    def clean(self):
        cleaned = super().clean()
        # The database's check, told beside the fields before the row is validated.
        if cleaned.get("user") and cleaned.get("partner"):
            self.add_error("partner", _("Choose a member or an organisation: one of them."))
        elif not cleaned.get("user") and not cleaned.get("partner") and self.has_changed():
            self.add_error("user", _("Choose a member or an organisation: one of them."))
        return cleaned


class AttendanceFormSet(SheetRowsFormSet):
    """The meeting's attendance; the id of a row must be one of this meeting's rows
    (actions.forms.SheetRowsFormSet), each person or organisation listed once."""

    def validate_unique(self):
        seen = {}
        for form in self.forms:
            if not form.is_valid() or (self.can_delete and self._should_delete_form(form)):
                continue
            for name in ("user", "partner"):
                value = form.cleaned_data.get(name)
                if value is None:
                    continue
                if (name, value.pk) in seen:
                    label = display_name(value) if name == "user" else value.name
                    raise forms.ValidationError(
                        _("%(name)s is listed twice: keep one row.") % {"name": label}
                    )
                seen[name, value.pk] = form


AGENDA_LIMITS = {"max_num": 40, "absolute_max": 40, "validate_max": True}
ATTENDANCE_LIMITS = {"max_num": 100, "absolute_max": 100, "validate_max": True}

AgendaFormSet = forms.inlineformset_factory(
    Meeting,
    AgendaItem,
    form=AgendaItemForm,
    formset=SheetRowsFormSet,
    extra=2,
    can_delete=True,
    **AGENDA_LIMITS,
)
AttendanceFormSetFactory = forms.inlineformset_factory(
    Meeting,
    Attendance,
    form=AttendanceForm,
    formset=AttendanceFormSet,
    extra=3,
    can_delete=True,
    **ATTENDANCE_LIMITS,
)


def meeting_forms(data, meeting, convention):
    """The meeting form and its formsets (agenda, attendance), bound to `data` (None:
    unbound); the options read once for all their rows."""
    if meeting.pk:
        choices = Choices(
            convention,
            also_users=Attendance.objects.filter(meeting=meeting, user__isnull=False).values(
                "user"
            ),
            also_partners=Attendance.objects.filter(meeting=meeting, partner__isnull=False).values(
                "partner"
            ),
            also_sheets=AgendaItem.sheets.through.objects.filter(
                agendaitem__meeting=meeting
            ).values("actionsheet"),
        )
    else:
        choices = Choices(convention)
    form = MeetingForm(data, instance=meeting, convention=convention)
    kwargs = {"form_kwargs": {"choices": choices}}
    formsets = {
        "agenda": AgendaFormSet(
            data,
            instance=meeting,
            prefix="agenda",
            queryset=AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk")
            if meeting.pk
            else AgendaItem.objects.none(),
            **kwargs,
        ),
        "attendance": AttendanceFormSetFactory(
            data,
            instance=meeting,
            prefix="attendance",
            queryset=Attendance.objects.filter(meeting=meeting).order_by("pk")
            if meeting.pk
            else Attendance.objects.none(),
            **kwargs,
        ),
    }
    return form, formsets


def parse_versions(text):
    """ "12:3,14:5" → {12: 3, 14: 5}; None when malformed."""
    versions = {}
    for part in filter(None, (text or "").split(",")):
        pk, sep, version = part.partition(":")
        if not sep or not pk.isdigit() or not version.isdigit() or len(part) > 40:
            return None
        versions[int(pk)] = int(version)
    return versions


def format_versions(versions):
    return ",".join(f"{pk}:{version}" for pk, version in sorted(versions.items()))


class DecisionForm(OnceForm, forms.ModelForm):
    """A decision; its change of the sheets (status, pilot, planned dates) is applied once,
    through the sheets' own save, from the versions of the sheets the form was opened on
    (`sheet_versions`): a sheet saved meanwhile is refused and shown what changed."""

    new_status = forms.ChoiceField(
        label=_("New status of the sheets"),
        choices=[("", _("unchanged")), *ActionSheet.Status.choices],
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    sheet_versions = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=20000, strip=False
    )

    class Meta:
        model = Decision
        fields = [
            "text",
            "sheets",
            "owner",
            "due_on",
            "new_status",
            "pilot_to_add",
            "new_planned_start",
            "new_planned_end",
        ]
        field_classes = {
            "sheets": SafeModelMultipleChoiceField,
            "owner": SafeModelChoiceField,
            "pilot_to_add": SafeModelChoiceField,
        }
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "due_on": DateInput,
            "new_planned_start": DateInput,
            "new_planned_end": DateInput,
        }

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        offer(self.fields["sheets"], choices.sheets, choices.sheet_options)
        self.fields["sheets"].widget.attrs["size"] = 5
        self.fields["sheets"].help_text = _("Hold Ctrl (or Cmd) to choose several.")
        offer(self.fields["owner"], choices.members, choices.member_options, "—")
        offer(self.fields["pilot_to_add"], choices.members, choices.member_options, "—")
        self.initial.setdefault("sheet_versions", format_versions(choices.sheet_versions))
        if self.instance.pk:
            self.fields["version"].required = True
            self.initial.setdefault("version", self.instance.version)
        if self.instance.applied_at is not None:
            # Applied once: the sheets and the change it made stay as they were recorded.
            for name in ("sheets", *Decision.CHANGE_FIELDS):
                self.fields[name].disabled = True

    def clean_sheet_versions(self):
        versions = parse_versions(self.cleaned_data.get("sheet_versions"))
        if versions is None:
            raise forms.ValidationError(
                _("This form has expired: reload the page and enter it again.")
            )
        return versions

    def clean(self):
        cleaned = super().clean()
        if "sheet_versions" in self.errors:
            self.add_error(None, self.errors["sheet_versions"])
        if self.instance.applied_at is None:
            changes = any(cleaned.get(name) for name in Decision.CHANGE_FIELDS)
            if changes and not cleaned.get("sheets") and "sheets" not in self.errors:
                self.add_error("sheets", _("Choose the sheets this change applies to."))
            meeting = self.instance.meeting if self.instance.meeting_id else None
            if changes and meeting is not None and meeting.convention.is_ended:
                # The sheets of an ended convention are kept as they stood (closed_reason).
                self.add_error(
                    None,
                    _(
                        "This convention has ended: a decision no longer changes its sheets. "
                        "Record the decision without a change."
                    ),
                )
        return cleaned

    def posted_with(self, versions):
        """The same input, carrying `versions` (the sheets' current ones): saving it again
        applies the change knowingly, after a conflict."""
        data = self.data.copy()
        merged = {**(self.cleaned_data.get("sheet_versions") or {}), **versions}
        data[self.add_prefix("sheet_versions")] = format_versions(merged)
        return data


class DecisionStateForm(forms.Form):
    state = forms.ChoiceField(choices=Decision.State.choices)


class MeetingFilterForm(forms.Form):
    """Field names are the query string's parameters, in French like the URLs."""

    type = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *Meeting.Kind.choices], required=False
    )
    annee = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)

    def __init__(self, data, *, years):
        super().__init__(data)
        self.fields["annee"].choices = [("", _("All")), *((y, str(y)) for y in years)]

    def filter(self, queryset):
        """Apply the valid filters; an invalid value (a stale link) is ignored, never a 500."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("type"):
            queryset = queryset.filter(kind=data["type"])
        if data.get("annee"):
            queryset = queryset.filter(starts_at__year=data["annee"])
        return queryset
