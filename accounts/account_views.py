"""The user's own account (/compte/) and the password reset by e-mail (Django's views, French
templates, links on the portal's public address)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from ctg_portal.http import post_to
from ctg_portal.sections import sections_of

from . import account_queries
from .account_forms import (
    AccountPasswordForm,
    ProfileForm,
    ResetRequestForm,
    notification_form,
)

# The page's sections, in order: (anchor, heading, template). The layers above add theirs
# (the calendar address) through the place "account" (ctg_portal.sections), after these.
SECTIONS = [
    ("profile", gettext_lazy("Profile"), "accounts/account_profile.html"),
    ("password", gettext_lazy("Password"), "accounts/account_password.html"),
    ("conventions", gettext_lazy("Conventions and roles"), "accounts/account_memberships.html"),
    ("notifications", gettext_lazy("E-mail notifications"), "accounts/account_notifications.html"),
]


def render_account(request, status=200, **forms):
    """The account page; `forms` replaces the blank form of the section that was refused."""
    user = request.user
    context = {
        "account_page": True,
        "sections": [
            {"anchor": anchor, "title": title, "template": template}
            for anchor, title, template in SECTIONS
        ],
        # A copy of the user: a refused form must not rename the user in the page's header.
        "profile_form": forms.get("profile_form") or ProfileForm(instance=user_copy(user)),
        "password_form": forms.get("password_form") or AccountPasswordForm(user),
        "notification_form": forms.get("notification_form") or notification_form(user),
        "memberships": account_queries.convention_memberships(user),
        "caf_memberships": account_queries.caf_memberships(user),
        # What the layers above add (the calendar feed's address): ctg_portal.sections.
        "account_sections": sections_of("account", request, None, user=user),
    }
    return render(request, "accounts/account.html", context, status=status)


def user_copy(user):
    return get_user_model().objects.get(pk=user.pk)


@login_required
@require_safe
def home(request):
    return render_account(request)


@login_required
@post_to("account:home")
def profile(request):
    form = ProfileForm(request.POST, instance=user_copy(request.user))
    if not form.is_valid():
        return render_account(request, status=400, profile_form=form)
    form.save()
    messages.success(request, _("Your profile was saved."))
    return redirect("account:home")


@login_required
@post_to("account:home")
def password(request):
    form = AccountPasswordForm(request.user, request.POST)
    if not form.is_valid():
        return render_account(request, status=400, password_form=form)
    user = form.save()
    # The session stays open (Django ends the others, which carry the old password's hash).
    update_session_auth_hash(request, user)
    messages.success(request, _("Your password was changed."))
    return redirect("account:home")


@login_required
@post_to("account:home")
def notifications(request):
    form = notification_form(request.user, request.POST)
    if not form.is_valid():
        return render_account(request, status=400, notification_form=form)
    form.save()
    messages.success(request, _("Your e-mail notification choices were saved."))
    return redirect("account:home")


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. The page that follows says the same whether the address has an
    account or not; the e-mail's link is on PORTAL_BASE_URL, not on the request's host."""

    form_class = ResetRequestForm
    template_name = "registration/password_reset_form.html"
    subject_template_name = "emails/password_reset_subject.txt"
    email_template_name = "emails/password_reset.txt"
    html_email_template_name = "emails/password_reset.html"
    success_url = reverse_lazy("account:password_reset_done")

    def form_valid(self, form):
        self.extra_email_context = {
            "base_url": settings.PORTAL_BASE_URL.rstrip("/"),
            "validity_days": max(1, settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60)),
        }
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    # The link's token is swapped for this word in the address once checked (Django keeps the
    # token in the session), so that it leaks through no referrer or history.
    reset_url_token = "choisir"
    success_url = reverse_lazy("account:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
