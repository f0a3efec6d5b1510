from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from conventions.models import Convention
from operations.backup import export_convention
from operations.commands import FrenchCommand


class Command(FrenchCommand):
    help = gettext_lazy(
        "Write one convention with everything that belongs to it, history included, as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help=_("the convention's slug (its address in the portal)"))
        parser.add_argument("file", help=_("path of the JSON file to write ('-': standard output)"))

    def handle(self, *args, slug, file, **options):
        try:
            convention = Convention.objects.get(slug=slug)
        except Convention.DoesNotExist:
            raise CommandError(
                _("No convention with the slug “%(slug)s”.") % {"slug": slug}
            ) from None
        text = export_convention(convention)
        if file == "-":
            self.stdout.write(text)
            return
        Path(file).write_text(text, encoding="utf-8")
        self.stderr.write(
            self.style.SUCCESS(
                _("Convention %(slug)s written to %(file)s.") % {"slug": slug, "file": file}
            )
        )
