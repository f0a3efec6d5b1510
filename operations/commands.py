"""The base of the operations' management commands: they speak French.

Their output, errors, questions and help are English msgids translated by the French catalogue,
in the portal's language (settings.LANGUAGE_CODE) whatever language is active when they run.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation


class FrenchCommand(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            # `help` is a lazy translation: argparse wants it as text.
            self.help = str(self.help)
            return super().create_parser(prog_name, subcommand, **kwargs)

    def execute(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            return super().execute(*args, **options)
