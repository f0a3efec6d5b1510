"""`make quality`: the French catalogue is complete and its compiled file is up to date."""

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

PO = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def compile_mo(po_path, mo_path):
    import polib  # a development dependency: this command runs in `make quality` only

    polib.pofile(str(po_path)).save_as_mofile(str(mo_path))


class Command(BaseCommand):
    help = "Fail when a string of the code is missing from the French catalogue or untranslated."

    def add_arguments(self, parser):
        parser.add_argument(
            "--compile", action="store_true", help="Write django.mo from django.po (with polib)."
        )

    def handle(self, *args, **options):
        import polib

        if options["compile"]:
            compile_mo(PO, PO.with_suffix(".mo"))
            return
        problems = []
        catalogue = polib.pofile(str(PO))
        untranslated = [e.msgid for e in catalogue.untranslated_entries()]
        fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
        problems += [f"untranslated: {msgid!r}" for msgid in untranslated]
        problems += [f"fuzzy: {msgid!r}" for msgid in fuzzy]

        # Extract the strings of the code again and compare, without touching the catalogue.
        backup = PO.read_bytes()
        try:
            if shutil.which("xgettext"):
                call_command(
                    "makemessages",
                    locale=["fr"],
                    no_location=True,
                    ignore_patterns=[".venv", "staticfiles", "var", "tests", "bench"],
                    verbosity=0,
                )
                # A string and its context ("in use" of a document is not of a token).
                extracted = {
                    (e.msgctxt or "", e.msgid) for e in polib.pofile(str(PO)) if not e.obsolete
                }
                known = {(e.msgctxt or "", e.msgid) for e in catalogue if not e.obsolete}
                problems += [
                    f"missing: {msgid!r}" + (f" (context {context!r})" if context else "")
                    for context, msgid in sorted(extracted - known)
                ]
            else:
                self.stderr.write("xgettext not found (GNU gettext): extraction not checked.")
        finally:
            PO.write_bytes(backup)

        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "django.mo"
            compile_mo(PO, fresh)
            if fresh.read_bytes() != PO.with_suffix(".mo").read_bytes():
                problems.append("django.mo is stale: run `make messages`.")
        if problems:
            raise CommandError("French catalogue incomplete:\n" + "\n".join(problems))
        self.stdout.write(f"French catalogue complete: {len(catalogue)} strings.")
