"""The invitation link: the invitee chooses a password and lands on the convention.

A link that cannot be used gets a French page saying why and what to do: 404 for a link that
matches no invitation (mistyped, cut, forged, or replaced by a newer one), 410 for one that
existed and is gone (expired, used, revoked). Never a 500.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ctg_portal.formatting import display_name

from . import services
from .invitation_forms import AcceptInvitationForm
from .models import Invitation

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def unusable(request, invitation, state):
    return render(
        request,
        "accounts/invitation_invalid.html",
        {"invitation": invitation, "state": state},
        status=404 if invitation is None else 410,
    )


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def accept(request, token):
    invitation = services.find_invitation(token)
    if invitation is None:
        return unusable(request, None, None)
    state = invitation.state(timezone.now())
    if state == Invitation.State.PENDING and not invitation.user.is_active:
        state = Invitation.State.REVOKED  # the account was deactivated by an administrator
    if state != Invitation.State.PENDING:
        return unusable(request, invitation, state)
    form = AcceptInvitationForm(invitation.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.accept(token, form.password())
        except services.InvitationUnusable as gone:
            return unusable(request, gone.invitation, gone.state)
        # Whoever was signed in on this browser is signed out: the session is the invitee's.
        login(request, invitation.user, backend=LOGIN_BACKEND)
        messages.success(
            request,
            _("Welcome, %(name)s: your account is ready. Your username is %(username)s.")
            % {"name": display_name(invitation.user), "username": invitation.user.username},
        )
        return redirect("portal:dashboard", slug=invitation.convention.slug)
    other = request.user if request.user.is_authenticated else None
    return render(
        request,
        "accounts/invitation.html",
        {
            "invitation": invitation,
            "invitee": invitation.user,
            "form": form,
            "signed_in_as": other,
            "inviter": display_name(invitation.invited_by) if invitation.invited_by else "",
        },
        status=400 if request.method == "POST" else 200,
    )
