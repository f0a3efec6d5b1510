"""The document form (a file or a link, and what it is attached to) and the list's filters."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from committees.models import Meeting
from ctg_portal.files import safe_file_name
from ctg_portal.forms import DateInput, OnceForm
from ctg_portal.validators import no_control_characters

from .models import Document, http_url
from .perms import can_add_anywhere, uploadable_sheets
from .validation import ACCEPT, accepted_types_text, check_upload

CONVENTION = "convention"
ATTACHMENT_FIELDS = ("sheet", "meeting", "funding_year")


def sheet_value(sheet_id):
    return f"sheet-{sheet_id}"


def meeting_value(meeting_id):
    return f"meeting-{meeting_id}"


def year_value(year):
    return f"year-{year}"


def parse_target(value):
    """("sheet" | "meeting" | "year" | "convention", number or None) from a choice's value."""
    if value == CONVENTION:
        return CONVENTION, None
    kind, _sep, number = value.partition("-")
    return kind, int(number)


def target_choices(convention, sheets, meetings, with_convention, with_years):
    """The choices of "attached to": the convention, the sheets, the meetings, the years."""
    choices = []
    if with_convention:
        choices.append((CONVENTION, _("The convention itself")))
    if sheets:
        choices.append(
            (
                _("Action sheets"),
                [(sheet_value(s.pk), f"{s.number}. {s.title}") for s in sheets],
            )
        )
    if meetings:
        choices.append(
            (
                pgettext_lazy("document", "Meetings"),
                [(meeting_value(m.pk), m.label) for m in meetings],
            )
        )
    if with_years:
        choices.append(
            (
                _("Funding years"),
                [(year_value(year), str(year)) for year in convention.years],
            )
        )
    return choices


class DocumentForm(OnceForm, forms.ModelForm):
    """A document: a file (checked by its content) or a link, attached to what the user may
    attach to. Set `fixed_target` to attach to one thing only (the include of a sheet,
    meeting or funding page)."""

    file = forms.FileField(
        label=pgettext_lazy("document", "File"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    url = forms.URLField(
        label=_("or a link"),
        required=False,
        max_length=1000,
        assume_scheme="https",
        error_messages={"invalid": http_url.message},
        help_text=_("The address of a web page (http or https), instead of a file."),
    )
    attached_to = forms.ChoiceField(label=pgettext_lazy("document", "Attached to"))
    next = forms.CharField(
        widget=forms.HiddenInput,
        required=False,
        max_length=2000,
        validators=[no_control_characters],
    )

    class Meta:
        model = Document
        fields = ["kind", "title", "date", "file", "url", "publishable"]
        widgets = {"date": DateInput}

    def __init__(self, *args, access, fixed_target=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        convention = access.convention
        self.instance.convention = convention
        self.fields["date"].initial = timezone.localdate
        self.fields["file"].help_text = _("%(types)s, %(max)s MB at most.") % {
            "types": accepted_types_text(),
            "max": 20,
        }
        anywhere = can_add_anywhere(access)
        self.sheets = {sheet.pk: sheet for sheet in uploadable_sheets(access).order_by("number")}
        self.meetings = (
            {m.pk: m for m in Meeting.objects.filter(convention=convention)} if anywhere else {}
        )
        self.fields["attached_to"].choices = target_choices(
            convention,
            list(self.sheets.values()),
            list(self.meetings.values()),
            with_convention=anywhere,
            with_years=anywhere,
        )
        if fixed_target is not None:
            self.fields["attached_to"].initial = fixed_target
            self.fields["attached_to"].widget = forms.HiddenInput()
        elif anywhere:
            self.fields["attached_to"].initial = CONVENTION
        self.checked = None

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            self.checked = check_upload(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        has_file = bool(cleaned.get("file")) or "file" in self.errors
        has_url = bool(cleaned.get("url")) or "url" in self.errors
        if has_file and has_url:
            self.add_error("url", _("Give a file or a link, not both."))
        elif not has_file and not has_url:
            self.add_error("file", _("Choose a file, or give a link."))
        target = cleaned.get("attached_to")
        if target:
            self.attach(target)
        if self.checked is not None:
            self.instance.original_name = safe_file_name(self.checked.name)
            self.instance.size = self.checked.size
            self.instance.content_type = self.checked.content_type
        return cleaned

    def attach(self, target):
        """Set the instance's sheet, meeting or year from the choice (already one of the
        choices the user may make: the sheets of the convention they may add to)."""
        kind, number = parse_target(target)
        document = self.instance
        document.sheet = self.sheets.get(number) if kind == "sheet" else None
        document.meeting = self.meetings.get(number) if kind == "meeting" else None
        document.funding_year = number if kind == "year" else None

    def target_label(self):
        """What the document will be attached to, in words (the include's hidden choice)."""
        value = self["attached_to"].value()
        for key, label in self.fields["attached_to"].choices:
            if isinstance(label, list | tuple):
                for inner_key, inner_label in label:
                    if inner_key == value:
                        return inner_label
            elif key == value:
                return label
        return ""

    def _update_errors(self, errors):
        # The model's clean() names the sheet, meeting or year: this form's "attached to".
        if hasattr(errors, "error_dict"):
            remapped = {}
            for field, messages in errors.error_dict.items():
                key = "attached_to" if field in ATTACHMENT_FIELDS else field
                remapped.setdefault(key, []).extend(messages)
            errors = ValidationError(remapped)
        super()._update_errors(errors)


class DocumentFilterForm(forms.Form):
    """The list's filters: by kind, by what a document is attached to."""

    genre = forms.ChoiceField(label=_("Kind"), required=False)
    rattachement = forms.ChoiceField(label=pgettext_lazy("document", "Attached to"), required=False)

    def __init__(self, *args, convention, sheets, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["genre"].choices = [("", _("All kinds")), *Document.Kind.choices]
        self.fields["rattachement"].choices = [
            ("", _("Anything")),
            *target_choices(convention, sheets, meetings, with_convention=True, with_years=True),
        ]

    def apply(self, documents):
        """`documents` filtered by the valid filters (an invalid one is ignored and told)."""
        if not self.is_bound or not self.is_valid():
            return documents
        kind = self.cleaned_data.get("genre")
        if kind:
            documents = documents.filter(kind=kind)
        target = self.cleaned_data.get("rattachement")
        if target:
            what, number = parse_target(target)
            if what == CONVENTION:
                documents = documents.attached_to_convention()
            elif what == "sheet":
                documents = documents.filter(sheet_id=number)
            elif what == "meeting":
                documents = documents.filter(meeting_id=number)
            else:
                documents = documents.filter(funding_year=number)
        return documents
