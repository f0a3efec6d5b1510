import datetime
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from conventions.models import Convention
from ctg_portal.formatting import format_moment
from operations.backup import RestoreError, parse_backup, restore
from operations.commands import FrenchCommand


def exported_at(backup):
    """When the backup was written, "12/03/2024 à 10 h 05" (as it holds it if unreadable)."""
    written = backup.get("exported_at")
    try:
        moment = datetime.datetime.fromisoformat(written)
    except (TypeError, ValueError):
        return str(written or "?")
    if timezone.is_naive(moment):
        return str(written)
    return format_moment(moment)


class Command(FrenchCommand):
    help = gettext_lazy(
        "Restore a convention written by export_convention, into a portal that may hold other "
        "conventions (ids are remapped, users and partners matched). Refused when the portal "
        "holds a convention of the same slug, unless --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("path of the JSON file written by export_convention"))
        parser.add_argument(
            "--replace",
            action="store_true",
            help=_(
                "Delete the convention of the same slug and restore the backup in its place, "
                "in one transaction (asks for confirmation)."
            ),
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help=_("Do not ask for confirmation before replacing a convention."),
        )

    def handle(self, *args, file, replace, interactive, **options):
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error}
            ) from None
        try:
            backup = parse_backup(text)
        except RestoreError as error:
            raise CommandError(str(error)) from None
        slug = backup["convention"]
        existing = Convention.objects.filter(slug=slug).first()
        if existing is not None and replace and interactive:
            self.confirm(existing, backup)
        try:
            restored = restore(backup, replace=replace)
        except RestoreError as error:
            raise CommandError(str(error)) from None
        written = ngettext(
            "%(count)s object written", "%(count)s objects written", restored.created
        ) % {"count": restored.created}
        found = ngettext(
            "%(count)s user or partner found in the portal",
            "%(count)s users and partners found in the portal",
            restored.matched,
        ) % {"count": restored.matched}
        self.stdout.write(
            self.style.SUCCESS(
                _("Convention %(slug)s restored: %(written)s, %(found)s.")
                % {"slug": restored.slug, "written": written, "found": found}
            )
        )

    def confirm(self, existing, backup):
        sheets = existing.action_sheets.count()
        held = ngettext(
            "The portal holds the convention “%(slug)s” (%(title)s, %(count)s action sheet).",
            "The portal holds the convention “%(slug)s” (%(title)s, %(count)s action sheets).",
            sheets,
        ) % {"slug": existing.slug, "title": existing.title, "count": sheets}
        replaced = _(
            "It will be deleted, with everything that belongs to it and its history, and the "
            "backup of %(date)s restored in its place."
        ) % {"date": exported_at(backup)}
        question = _("Type “yes” to continue, or “no” to cancel: ")
        try:
            answer = input(f"{held}\n{replaced}\n{question}")
        except EOFError:
            answer = ""
        # The word the question asks for, or the English one (scripts written before).
        if answer.strip().lower() not in {_("yes").lower(), "yes"}:
            raise CommandError(_("Restore cancelled: nothing was written."))
