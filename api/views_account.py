"""The account page's API tokens: create (shown once, on the next display of the page) and
revoke. The token's text passes through the session once and is never logged nor stored."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts.account_views import render_account
from ctg_portal.forms import submit_once
from ctg_portal.http import post_to

from . import tokens
from .forms import TokenForm
from .sections import NEW_TOKEN


def back_to_section():
    response = redirect("account:home")
    response["Location"] += "#api"
    return response


@login_required
@post_to("account:home")
def create(request):
    """Create a token. The form carries a one-time token (OnceForm): a double click creates
    one token, and the replay is told so (the token is shown on the page, once)."""
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        request.api_token_form = form
        return render_account(request, status=400)
    created, first = submit_once(
        request.user,
        form.cleaned_data["submission"],
        lambda: tokens.create(request.user, form.cleaned_data["name"]),
    )
    if not first:
        messages.info(request, _("This token was already created."))
    elif created is None:  # the limit was reached meanwhile
        messages.error(request, _("You have too many tokens in use: revoke one first."))
    else:
        request.session[NEW_TOKEN] = created[1]
        messages.success(request, _("Your token was created."))
    return back_to_section()


@login_required
@post_to("account:home")
def revoke(request, pk):
    """Revoke one of the user's tokens: refused at once by the API (no cache). Another
    person's token, or one already revoked, changes nothing."""
    if tokens.revoke(request.user, pk):
        messages.success(request, _("The token was revoked: it no longer opens the API."))
    else:
        messages.info(request, _("This token was already revoked."))
    return back_to_section()
