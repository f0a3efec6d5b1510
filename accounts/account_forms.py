"""The forms of the account page (/compte/): profile, password, notification choices, and the
password reset request."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm
from django.contrib.auth.models import BaseUserManager
from django.utils.translation import gettext_lazy as _

from ctg_portal.validators import no_control_characters

from .models import NotificationSettings


def name_email_field(field):
    """The portal says "adresse e-mail", where Django's French says "adresse électronique"."""
    field.label = _("E-mail address")
    field.error_messages["invalid"] = _("Enter a valid e-mail address.")


def email_taken(email, user=None):
    """Whether another account than `user` has the address `email` (case aside)."""
    others = get_user_model().objects.filter(email__iexact=email)
    if user is not None:
        others = others.exclude(pk=user.pk)
    return others.exists()


class ProfileForm(forms.ModelForm):
    """The user's name and e-mail address (required: resets and notifications go there)."""

    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        name_email_field(self.fields["email"])
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        for name in ("first_name", "last_name"):
            self.fields[name].validators.append(no_control_characters)

    def clean_first_name(self):
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self):
        return self.cleaned_data["last_name"].strip()

    def clean_email(self):
        email = BaseUserManager.normalize_email(self.cleaned_data["email"].strip())
        if email_taken(email, self.instance):
            raise forms.ValidationError(
                _("This address is already used by another account."), code="taken"
            )
        return email

    def save(self, commit=True):
        user = super().save(commit=False)
        if commit:
            # These fields only: a full save would write back the password or last login as
            # they were when the page was loaded.
            user.save(update_fields=self.Meta.fields)
        return user


class AccountPasswordForm(PasswordChangeForm):
    """Django's password change (old password, new one twice, the password validators)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One section of a longer page: the cursor does not jump there when the page opens.
        self.fields["old_password"].widget.attrs.pop("autofocus", None)

    def save(self, commit=True):
        user = super().save(commit=False)
        if commit:
            user.save(update_fields=["password"])
        return user


class NotificationForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["weekly_digest", "sheet_assigned"]

    def save(self, commit=True):
        """Create the user's row on the first save; two first saves at once make one row."""
        settings_row, _created = NotificationSettings.objects.update_or_create(
            user=self.instance.user,
            defaults={name: self.cleaned_data[name] for name in self.Meta.fields},
        )
        return settings_row


def notification_form(user, data=None):
    instance = NotificationSettings.objects.filter(user=user).first()
    return NotificationForm(data, instance=instance or NotificationSettings(user=user))


class ResetRequestForm(PasswordResetForm):
    """Django's reset request; the address field tells the browser what it is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        name_email_field(self.fields["email"])
