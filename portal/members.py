"""The convention's members page: coordinators (and superusers) invite people, change roles and
piloted sheets, remove members, resend or revoke invitations; the other members read the
names, roles and sheets (without e-mail addresses)."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.services import MembershipRefused
from conventions.models import Membership
from conventions.perms import ConventionAccess, get_convention_access_or_404
from ctg_portal.formatting import display_name
from ctg_portal.forms import submit_once
from ctg_portal.http import post_to

from .member_forms import ChangeMemberForm, InvitationActionForm, InviteForm, RemoveMemberForm
from .member_queries import caf_people, member_of_or_404, member_rows, revoked_invitations
from .member_services import (
    change_member,
    invite_member,
    remove_member,
    resend_invitation,
    revoke_invitation,
)

logger = logging.getLogger(__name__)

MAIL_FAILED = _("The e-mail could not be sent, so nothing was saved: try again later.")


def can_manage_members(access: ConventionAccess) -> bool:
    """Coordinators and superusers invite, change and remove members; the others read."""
    return access.is_coordinator


def members_context(access, *, invite_form=None, errors=()):
    convention = access.convention
    manage = can_manage_members(access)
    context = {
        "access": access,
        "convention": convention,
        "rows": member_rows(convention, timezone.now()),
        "can_manage": manage,
        "errors": list(errors),
        "invite_form": None,
        "revoked": [],
        "caf_people": caf_people(convention),
    }
    if manage:
        context["invite_form"] = invite_form or InviteForm(convention=convention)
        context["revoked"] = revoked_invitations(convention)
    return context


def members_page(request, access, *, status=200, **kwargs):
    return render(request, "portal/members.html", members_context(access, **kwargs), status=status)


@login_required
@require_safe
def members(request, slug):
    access = get_convention_access_or_404(request, slug)
    return members_page(request, access)


def managed(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_manage_members(access))
    return access


@login_required
@post_to("portal:members", "slug")
def member_invite(request, slug):
    access = managed(request, slug)
    convention = access.convention
    form = InviteForm(request.POST, convention=convention)
    if form.is_valid():
        data = form.cleaned_data

        def write():
            return invite_member(
                convention,
                request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                sheets=data["sheets"],
            )

        try:
            invited, first = submit_once(request.user, data["submission"], write)
        except MembershipRefused as refused:
            form.add_error(refused.field, refused.message)
        except OSError:
            logger.exception("Invitation e-mail to %s not sent", data["email"])
            form.add_error(None, MAIL_FAILED)
        else:
            if not first or invited is None:
                messages.info(request, _("This invitation was already sent."))
            elif invited.invitation is not None:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s: the link works for 7 days.")
                    % {"email": invited.invitation.email},
                )
            else:
                messages.success(
                    request,
                    _("%(name)s already had an account: they are now a member, told by e-mail.")
                    % {"name": display_name(invited.user)},
                )
            return redirect("portal:members", slug=slug)
    return members_page(request, access, invite_form=form, status=400)


@login_required
@require_safe
def member(request, slug, user_id):
    access = managed(request, slug)
    row = member_of_or_404(access.convention, user_id, timezone.now())
    return member_page(request, access, row)


def member_page(request, access, row, *, change_form=None, remove_form=None, status=200):
    convention = access.convention
    return render(
        request,
        "portal/members_edit.html",
        {
            "access": access,
            "convention": convention,
            "row": row,
            "change_form": change_form or ChangeMemberForm(convention=convention, row=row),
            "remove_errors": remove_form.non_field_errors() if remove_form else [],
        },
        status=status,
    )


def after_change(request, access, slug):
    """Back to the list, or, for a coordinator who gave up their own role, to a page they
    may still open."""
    user = request.user
    if user.is_superuser:
        return redirect("portal:members", slug=slug)
    still = access.convention.memberships.filter(user=user).values_list("role", flat=True).first()
    if still is None:
        return redirect("portal:home")
    if still != Membership.Role.COORDINATOR:
        return redirect("portal:dashboard", slug=slug)
    return redirect("portal:members", slug=slug)


def refused_page(request, access, person, refused, **forms):
    """A change or removal refused: the member's page with the reason, or the list when the
    person is no longer a member (removed meanwhile)."""
    convention = access.convention
    if not convention.memberships.filter(user=person).exists():
        return members_page(request, access, errors=[refused.message], status=400)
    row = member_of_or_404(convention, person.pk, timezone.now())
    return member_page(request, access, row, status=400, **forms)


@login_required
@post_to("portal:members", "slug")
def member_change(request, slug):
    access = managed(request, slug)
    convention = access.convention
    form = ChangeMemberForm(request.POST, convention=convention)
    if not form.is_valid():
        if "member" in form.errors:
            return members_page(request, access, errors=form.errors["member"], status=400)
        row = member_of_or_404(convention, form.cleaned_data["member"].pk, timezone.now())
        return member_page(request, access, row, change_form=form, status=400)
    person = form.cleaned_data["member"]
    try:
        _membership, changed = change_member(
            convention, person.pk, form.cleaned_data["role"], form.cleaned_data["sheets"]
        )
    except MembershipRefused as refused:
        form.add_error(refused.field, refused.message)
        return refused_page(request, access, person, refused, change_form=form)
    name = display_name(person)
    if changed:
        messages.success(request, _("%(name)s: role and sheets saved.") % {"name": name})
    else:
        messages.info(request, _("%(name)s: nothing to change.") % {"name": name})
    return after_change(request, access, slug)


@login_required
@post_to("portal:members", "slug")
def member_remove(request, slug):
    access = managed(request, slug)
    convention = access.convention
    form = RemoveMemberForm(request.POST, convention=convention)
    if not form.is_valid():
        return members_page(request, access, errors=form.non_field_errors(), status=400)
    person = form.cleaned_data["member"]
    try:
        remove_member(convention, person.pk)
    except MembershipRefused as refused:
        form.add_error(None, refused.message)
        return refused_page(request, access, person, refused, remove_form=form)
    messages.success(
        request,
        _("%(name)s is no longer a member of the convention; their notes and history stay.")
        % {"name": display_name(person)},
    )
    return after_change(request, access, slug)


def invitation_action(request, slug, action):
    access = managed(request, slug)
    convention = access.convention
    form = InvitationActionForm(request.POST, convention=convention)
    if not form.is_valid():
        return members_page(request, access, errors=form.non_field_errors(), status=400)
    invitation = form.cleaned_data["invitation"]
    try:
        if action == "resend":
            invitation, done = resend_invitation(convention, invitation.pk, request.user)
        else:
            invitation, done = revoke_invitation(convention, invitation.pk)
    except MembershipRefused as refused:
        return members_page(request, access, errors=[refused.message], status=400)
    except OSError:
        logger.exception("Invitation e-mail to %s not sent again", invitation.email)
        return members_page(request, access, errors=[MAIL_FAILED], status=400)
    email = {"email": invitation.email}
    if action == "resend" and done:
        messages.success(
            request,
            _("Invitation sent again to %(email)s: the previous link no longer works.") % email,
        )
    elif action == "resend":
        messages.info(
            request,
            _("The invitation to %(email)s was sent a moment ago: it was not sent again.") % email,
        )
    elif done:
        messages.success(
            request, _("Invitation to %(email)s revoked: its link no longer works.") % email
        )
    else:
        messages.info(request, _("The invitation to %(email)s was already revoked.") % email)
    return redirect("portal:members", slug=slug)


@login_required
@post_to("portal:members", "slug")
def invitation_resend(request, slug):
    return invitation_action(request, slug, "resend")


@login_required
@post_to("portal:members", "slug")
def invitation_revoke(request, slug):
    return invitation_action(request, slug, "revoke")
