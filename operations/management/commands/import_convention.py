from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import RestoreError, import_convention


class Command(BaseCommand):
    help = "Restore a convention written by export_convention (on a database without it)."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            text = Path(file).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        try:
            slug, count = import_convention(text)
        except RestoreError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Convention {slug} restored: {count} objects."))
