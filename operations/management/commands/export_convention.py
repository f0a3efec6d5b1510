from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from conventions.models import Convention
from operations.backup import export_convention


class Command(BaseCommand):
    help = "Write one convention with everything that belongs to it, history included, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("file", help="path of the JSON file to write ('-': standard output)")

    def handle(self, *args, slug, file, **options):
        try:
            convention = Convention.objects.get(slug=slug)
        except Convention.DoesNotExist:
            raise CommandError(f"No convention with the slug {slug!r}.") from None
        text = export_convention(convention)
        if file == "-":
            self.stdout.write(text)
            return
        Path(file).write_text(text, encoding="utf-8")
        self.stderr.write(self.style.SUCCESS(f"Convention {slug} written to {file}."))
