"""The invitation page's form: the password the invitee chooses, twice, checked by Django's
password validators (AUTH_PASSWORD_VALIDATORS)."""

from django.contrib.auth.forms import SetPasswordForm


class AcceptInvitationForm(SetPasswordForm):
    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        for name in ("new_password1", "new_password2"):
            self.fields[name].widget.attrs["autocomplete"] = "new-password"

    def password(self) -> str:
        return self.cleaned_data["new_password1"]
