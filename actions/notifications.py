"""E-mails sent as the sheets change: a person newly named pilot of a sheet is told at once.

`pilots_changed` listens to the sheet's `pilots` link, from either side (`sheet.pilots.add`,
`user.piloted_sheets.add`, `.set()`, the admin, the forms): each user added is mailed once the
transaction commits, once per sheet (SentNotification "sheet:<pk>"), unless the change was made
under `accounts.notifications.muted()` (seed, demonstration data, restore), by the user
themselves, or the user cannot or does not want to receive it (`reachable`).
"""

from __future__ import annotations

import functools
import logging
import smtplib
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from simple_history.models import HistoricalRecords  # type: ignore[import-untyped]

from accounts.mail import absolute_url, send_portal_mail
from accounts.models import SentNotification
from accounts.notifications import account_url, is_muted, reachable
from conventions.models import Membership

from .models import ActionSheet

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

KIND = SentNotification.Kind.SHEET_ASSIGNED


def acting_user_id() -> int | None:
    """The user whose request makes the change (simple-history's middleware keeps the request
    for its records), None outside a request (commands, the shell)."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def pilots_changed(
    sender: type,
    instance: Any,
    action: str,
    reverse: bool,
    pk_set: set[int] | None,
    using: str,
    **kwargs: Any,
) -> None:
    """m2m_changed of ActionSheet.pilots: the pilots added are told after the commit.

    Django gives post_add only the links that did not exist (`.set()` adds the new ones):
    a pilot kept on the sheet is not added again. Nothing is read here; the e-mails are
    built after the commit, with a fixed number of queries for the whole change.
    """
    if action != "post_add" or not pk_set or is_muted():
        return
    if reverse:  # user.piloted_sheets.add(sheets): the instance is the user
        pairs = {(instance.pk, sheet_id) for sheet_id in pk_set}
    else:
        pairs = {(user_id, instance.pk) for user_id in pk_set}
    actor = acting_user_id()
    pairs = {(user_id, sheet_id) for user_id, sheet_id in pairs if user_id != actor}
    if pairs:
        transaction.on_commit(functools.partial(tell_new_pilots, pairs, using), using=using)


def tell_new_pilots(pairs: set[tuple[int, int]], using: str = "default") -> int:
    """Mail each (user, sheet) of `pairs` that is to be told; the number of e-mails sent.

    Each e-mail is claimed, sent and recorded in one transaction (the record is unique per
    user and sheet): a sheet given again to the same pilot, or a second process telling the
    same change, sends nothing more. A failed send records nothing and is logged: the change
    itself is already saved.
    """
    user_ids = {user_id for user_id, _sheet_id in pairs}
    sheet_ids = {sheet_id for _user_id, sheet_id in pairs}
    candidates = get_user_model().objects.using(using).filter(pk__in=user_ids)
    users = {user.pk: user for user in reachable(candidates, KIND)}
    named = ActionSheet.objects.using(using).active().filter(pk__in=sheet_ids)
    sheets = {sheet.pk: sheet for sheet in named.select_related("convention")}
    members = set(
        Membership.objects.using(using)
        .filter(
            user_id__in=list(users), convention_id__in={s.convention_id for s in sheets.values()}
        )
        .values_list("user_id", "convention_id")
    )
    sent = 0
    for user_id, sheet_id in sorted(pairs):
        user, sheet = users.get(user_id), sheets.get(sheet_id)
        if user is None or sheet is None:
            continue
        if (user.pk, sheet.convention_id) not in members and not user.is_superuser:
            continue  # not a member: the sheet would be a 404 for them
        try:
            with transaction.atomic(using=using):
                SentNotification.objects.using(using).create(
                    user=user, kind=KIND, key=f"sheet:{sheet.pk}"
                )
                send_portal_mail("sheet_assigned", [user.email], sheet_context(user, sheet))
        except IntegrityError:
            continue  # told already (this sheet before, or another process now)
        except (smtplib.SMTPException, OSError):
            logger.exception(
                "The e-mail to the new pilot %s of sheet %s failed.", user.pk, sheet.pk
            )
            continue
        sent += 1
    return sent


def sheet_context(user: User, sheet: ActionSheet) -> dict[str, Any]:
    convention = sheet.convention
    return {
        "user": user,
        "sheet": sheet,
        "convention": convention,
        "sheet_url": absolute_url(reverse("actions:detail", args=[convention.slug, sheet.number])),
        "dashboard_url": absolute_url(reverse("portal:dashboard", args=[convention.slug])),
        "account_url": account_url(),
    }
