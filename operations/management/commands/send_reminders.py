import datetime

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from operations import reminders
from operations.commands import FrenchCommand


class Command(FrenchCommand):
    help = gettext_lazy(
        "Send the weekly digest of reminders to pilots, coordinators and owners of open "
        "decisions (run it daily from cron: each person gets it once a week, on "
        "REMINDERS_WEEKDAY or the first run after)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("Print who would get what; send and record nothing."),
        )
        parser.add_argument(
            "--date",
            metavar=_("YYYY-MM-DD"),
            help=_("Run as on that day (to check the day rules); today by default."),
        )

    def handle(self, *args, dry_run=False, date=None, **options):
        today = self.parse_day(date) if date else timezone.localdate()
        if not reminders.is_digest_day(today):
            day = WEEKDAYS[settings.REMINDERS_WEEKDAY - 1]
            self.stdout.write(
                _("No digest today: it goes out on %(day)s (REMINDERS_WEEKDAY).") % {"day": day}
            )
            return
        digests = reminders.digests(today)
        week = reminders.week_key(today)
        if dry_run:
            self.stdout.write(_("Dry run: nothing is sent or recorded."))
            for digest in digests:
                self.stdout.write(self.describe(digest))
            self.stdout.write(
                ngettext(
                    "%(count)s e-mail would be sent (week %(week)s).",
                    "%(count)s e-mails would be sent (week %(week)s).",
                    len(digests),
                )
                % {"count": len(digests), "week": week}
            )
            return
        counts = {reminders.Outcome.SENT: 0, reminders.Outcome.TAKEN: 0}
        failures = []
        for digest in digests:
            outcome, error = reminders.send_digest(digest, today)
            if outcome == reminders.Outcome.FAILED:
                failures.append(digest)
                self.stderr.write(
                    _("Sending to %(address)s failed: %(error)s")
                    % {"address": digest.user.email, "error": error}
                )
            else:
                counts[outcome] += 1
        sent, taken = counts[reminders.Outcome.SENT], counts[reminders.Outcome.TAKEN]
        summary = ngettext(
            "%(count)s e-mail sent (week %(week)s).",
            "%(count)s e-mails sent (week %(week)s).",
            sent,
        ) % {"count": sent, "week": week}
        if taken:
            summary += " " + ngettext(
                "%(count)s was sent by another run in the meantime.",
                "%(count)s were sent by another run in the meantime.",
                taken,
            ) % {"count": taken}
        self.stdout.write(self.style.SUCCESS(summary))
        if failures:
            raise CommandError(
                ngettext(
                    "%(count)s e-mail could not be sent: the next run tries again.",
                    "%(count)s e-mails could not be sent: the next run tries again.",
                    len(failures),
                )
                % {"count": len(failures)}
            )

    @staticmethod
    def parse_day(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise CommandError(
                _("Give the date as YYYY-MM-DD (for example 2026-12-07), not “%(value)s”.")
                % {"value": value}
            ) from None

    @staticmethod
    def describe(digest):
        """One line per recipient: "address — 2 late steps, 1 step due soon, 0 sheets without
        a note — the conventions"."""
        late, upcoming, silent, decisions = (
            digest.count(name) for name in ("late", "upcoming", "silent", "decisions")
        )
        counts = [
            ngettext("%(count)s late step", "%(count)s late steps", late) % {"count": late},
            ngettext(
                "%(count)s step due within %(days)s days",
                "%(count)s steps due within %(days)s days",
                upcoming,
            )
            % {"count": upcoming, "days": reminders.DUE_WITHIN_DAYS},
            ngettext(
                "%(count)s sheet without a note for %(days)s days",
                "%(count)s sheets without a note for %(days)s days",
                silent,
            )
            % {"count": silent, "days": reminders.SILENCE_DAYS},
            ngettext("%(count)s open decision", "%(count)s open decisions", decisions)
            % {"count": decisions},
        ]
        conventions = "; ".join(
            f"{part.convention.title} ({part.role_label})" for part in digest.conventions
        )
        return f"{digest.user.email} — {', '.join(counts)} — {conventions}"
