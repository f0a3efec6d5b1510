"""The renewal wizard: the new convention (step 1), what carries over (step 2), the preview
(step 3), then the confirmation that writes it all in one transaction.

Stateless: each step posts the choices of the steps before it (hidden inputs), validated again
at every step, so that any app server answers any step and nothing waits in a session.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from conventions.models import Convention
from conventions.perms import get_convention_access_or_404
from ctg_portal.formatting import display_name
from ctg_portal.forms import submit_once
from ctg_portal.http import posted

from . import queries, services
from .forms import CarryForm, ConfirmForm, PeriodForm, carried_fields, choices_of
from .perms import can_renew


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def renew(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_renew(access))
    old = access.convention
    successor = Convention.objects.filter(predecessor=old).first()
    if successor is not None:
        if request.method == "POST":
            return already_renewed(request, successor)
        return render(request, "renewals/renewed.html", {"convention": old, "successor": successor})
    source = queries.source_of(old)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    period = PeriodForm(posted(request), source=source)
    if request.method != "POST" or action == "back" or not period.is_valid():
        status = 400 if request.method == "POST" and action != "back" else 200
        return step(request, 1, old, {"form": period}, status)
    carry = CarryForm(
        None if action == "next" else request.POST,
        source=source,
        years=period.years,
        user=request.user,
    )
    hidden = carried_fields(period)
    if action in ("next", "edit") or not carry.is_valid():
        status = 400 if action not in ("next", "edit") else 200
        return step(request, 2, old, {"form": carry, "hidden": hidden}, status)
    choices = choices_of(period, carry)
    if action == "confirm":
        return confirm(request, old, source, choices, period, carry)
    return preview_page(request, old, source, choices, period, carry, None)


def step(request, number, old, context, status=200, template=None):
    names = {1: "renewals/period.html", 2: "renewals/carry.html", 3: "renewals/preview.html"}
    return render(
        request,
        template or names[number],
        {"convention": old, "step": number, **context},
        status=status,
    )


def preview_page(request, old, source, choices, period, carry, form, status=200):
    shown = queries.preview(source, choices)
    if form is None:
        form = ConfirmForm(initial={"fingerprint": shown.fingerprint()})
    context = {
        "form": form,
        "preview": shown,
        "choices": choices,
        "hidden": carried_fields(period, carry),
    }
    return step(request, 3, old, context, status)


def confirm(request, old, source, choices, period, carry):
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return preview_page(request, old, source, choices, period, carry, form, status=400)
    try:
        new, first = submit_once(
            request.user,
            form.cleaned_data["submission"],
            lambda: services.renew(
                old, choices, request.user, fingerprint=form.cleaned_data["fingerprint"]
            ),
        )
    except services.AlreadyRenewed as renewed:
        return already_renewed(request, renewed.successor)
    except services.ChangedSincePreview:
        return changed_since_preview(request, old, source, choices, period, carry)
    except IntegrityError:
        # Another renewal committed meanwhile (the unique predecessor), or another convention
        # took the slug: told like a replay, or as the slug's error on step 1.
        successor = Convention.objects.filter(predecessor=old).first()
        if successor is not None:
            return already_renewed(request, successor)
        period = PeriodForm(request.POST, source=source)
        period.is_valid()
        return step(request, 1, old, {"form": period}, 409)
    if not first:
        successor = Convention.objects.filter(predecessor=old).first()
        if successor is None:  # renewed by this very form, then removed by an administrator
            return redirect("renewals:renew", slug=old.slug)
        return already_renewed(request, successor)
    messages.success(
        request,
        _(
            "Convention renewed: “%(title)s” (%(start)s–%(end)s) is in preparation. Complete it, "
            "then record its signature."
        )
        % {"title": new.title, "start": new.start_year, "end": new.end_year},
    )
    return redirect("portal:dashboard", slug=new.slug)


def already_renewed(request, successor):
    """A post on a renewed convention (a replay, a second tab, a concurrent confirm): nothing
    is written, the user lands on the successor."""
    messages.info(
        request,
        _("This convention was already renewed by %(name)s: here is the new one.")
        % {"name": display_name(services.renewed_by(successor))},
    )
    return redirect("portal:dashboard", slug=successor.slug)


def changed_since_preview(request, old, source, choices, period, carry):
    """The convention changed between the preview and its confirmation: nothing is written,
    the new preview is shown to be confirmed knowingly."""
    messages.warning(
        request,
        _(
            "The convention changed since the preview (a sheet saved, a step done, a line "
            "changed): here is the preview again, as it stands now. Check it, then confirm."
        ),
    )
    return preview_page(request, old, source, choices, period, carry, None, status=409)
