"""The members page's forms: invite a person, change a member's role and sheets, remove a
member, resend or revoke an invitation. Every id posted (a sheet, a member, an invitation) is
checked against the convention: one of another convention, or forged, is a French error."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation
from actions.models import ActionSheet
from conventions.models import Membership
from ctg_portal.fields import SafeModelChoiceField, SafeModelMultipleChoiceField
from ctg_portal.forms import OnceForm
from ctg_portal.validators import no_control_characters

ROLE_HELP = _(
    "Coordinators manage the whole convention and its members; pilots edit the sheets they "
    "pilot; elected officials and CAF staff read everything (CAF staff also manage funding)."
)


class SheetChoiceField(SafeModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.number}. {obj.title}"


def sheet_field():
    return SheetChoiceField(
        label=_("Sheets they pilot"),
        queryset=ActionSheet.objects.none(),
        required=False,
        help_text=_("For a pilot: the sheets they will edit. Archived sheets are not offered."),
    )


def role_field():
    return forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, help_text=ROLE_HELP)


def keep_pilots_if_ended(field, convention):
    """After the period the sheets keep their pilots (`set_piloted_sheets`): the field is
    shown disabled, saying why."""
    if convention.is_ended:
        field.disabled = True
        field.help_text = _(
            "The convention has ended: its sheets keep their pilots, as they stood."
        )


def convention_sheets(convention):
    return ActionSheet.objects.active().filter(convention=convention).order_by("number")


class HiddenErrorsForm(forms.Form):
    """A form whose hidden fields' errors are told above it (they would show nowhere)."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if field.widget.is_hidden and name in self.errors and name != "submission":
                for error in self.errors[name]:
                    if error not in self.non_field_errors():
                        self.add_error(None, error)
        return cleaned


class InviteForm(OnceForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        error_messages={"invalid": _("Enter a valid e-mail address.")},
        help_text=_(
            "An address that already has an account gets the membership, not a second account."
        ),
    )
    # Optional: an account that exists keeps its names, and the invitee can give theirs later.
    first_name = forms.CharField(
        label=_("First name"), max_length=150, required=False, validators=[no_control_characters]
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, required=False, validators=[no_control_characters]
    )
    role = role_field()
    sheets = sheet_field()

    def __init__(self, *args, convention, **kwargs):
        kwargs.setdefault("prefix", "invite")
        super().__init__(*args, **kwargs)
        self.fields["sheets"].queryset = convention_sheets(convention)
        keep_pilots_if_ended(self.fields["sheets"], convention)
        self.fields["role"].initial = Membership.Role.PILOT
        self.fields["email"].widget.attrs["autocomplete"] = "off"


class MemberField(SafeModelChoiceField):
    """A member of the convention, posted as a hidden user id."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(
            queryset=get_user_model().objects.none(),
            error_messages={
                "required": _("This person is not a member of this convention."),
                "invalid_choice": _("This person is not a member of this convention."),
            },
            **kwargs,
        )


def members_of(convention):
    return get_user_model().objects.filter(memberships__convention=convention)


class ChangeMemberForm(HiddenErrorsForm):
    member = MemberField()
    role = role_field()
    sheets = sheet_field()

    def __init__(self, *args, convention, row=None, **kwargs):
        kwargs.setdefault("prefix", "change")
        if row is not None:
            kwargs.setdefault(
                "initial",
                {
                    "member": row.user.pk,
                    "role": row.membership.role,
                    "sheets": [sheet.pk for sheet in row.sheets if sheet.archived_at is None],
                },
            )
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members_of(convention)
        self.fields["sheets"].queryset = convention_sheets(convention)
        keep_pilots_if_ended(self.fields["sheets"], convention)


class RemoveMemberForm(HiddenErrorsForm):
    member = MemberField()

    def __init__(self, *args, convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members_of(convention)


class InvitationActionForm(HiddenErrorsForm):
    """Resend or revoke: the invitation, posted as a hidden id."""

    invitation = SafeModelChoiceField(
        queryset=Invitation.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This invitation does not belong to this convention."),
            "invalid_choice": _("This invitation does not belong to this convention."),
        },
    )

    def __init__(self, *args, convention, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invitation"].queryset = Invitation.objects.filter(convention=convention)
