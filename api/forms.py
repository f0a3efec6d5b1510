"""The account page's form to create an API token (once per submission: OnceForm)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken
from ctg_portal.forms import OnceForm


class TokenForm(OnceForm):
    name = forms.CharField(
        label=_("Name of the token"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=_("What it is for, to recognise it later: “BI of the CAF”, “municipal site”."),
        validators=ApiToken._meta.get_field("name").validators,
    )

    def __init__(self, *args, user, **kwargs):
        # Its own ids: the account page shows other one-time forms (the calendar's).
        kwargs.setdefault("auto_id", "id_api_token_%s")
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        if ApiToken.objects.live().filter(user=self.user).count() >= ApiToken.MAX_LIVE:
            raise forms.ValidationError(
                _("You have %(count)s tokens in use, the most allowed: revoke one first.")
                % {"count": ApiToken.MAX_LIVE}
            )
        return cleaned
