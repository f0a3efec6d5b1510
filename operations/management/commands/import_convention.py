from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from conventions.models import Convention
from operations.backup import RestoreError, parse_backup, restore


class Command(BaseCommand):
    help = (
        "Restore a convention written by export_convention, into a portal that may hold other "
        "conventions (ids are remapped, users and partners matched). Refused when the portal "
        "holds a convention of the same slug, unless --replace."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the convention of the same slug and restore the backup in its place, "
            "in one transaction (asks for confirmation).",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Do not ask for confirmation before replacing a convention.",
        )

    def handle(self, *args, file, replace, interactive, **options):
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
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
        self.stdout.write(
            self.style.SUCCESS(
                f"Convention {restored.slug} restored: {restored.created} objects written, "
                f"{restored.matched} users and partners found in the portal."
            )
        )

    def confirm(self, existing, backup):
        sheets = existing.action_sheets.count()
        question = (
            f"The portal holds the convention {existing.slug!r} ({existing.title}, "
            f"{sheets} action sheets).\n"
            "It will be deleted, with everything that belongs to it and its history, and the "
            f"backup of {backup.get('exported_at', '?')} restored in its place.\n"
            "Type 'yes' to continue, or 'no' to cancel: "
        )
        try:
            answer = input(question)
        except EOFError:
            answer = ""
        if answer.strip().lower() != "yes":
            raise CommandError("Restore cancelled: nothing was written.")
