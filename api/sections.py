"""The "API access" section of the account page (ctg_portal.sections, place "account"),
registered by ApiConfig.ready."""

from django.utils.translation import gettext_lazy as _

from ctg_portal.sections import Section

from . import tokens
from .forms import TokenForm

# The session key holding a token just created: shown on the next display, then forgotten.
NEW_TOKEN = "api_new_token"


def account_tokens(request, access, *, user):
    """The user's tokens, the form to create one (refused: the bound form the view left on
    the request) and, once, the token just created."""
    return Section(
        "api/account_tokens.html",
        {
            "anchor": "api",
            "title": _("API access"),
            "api_tokens": list(tokens.tokens_of(user)),
            "api_token_form": getattr(request, "api_token_form", None) or TokenForm(user=user),
            "api_new_token": request.session.pop(NEW_TOKEN, None),
        },
    )
