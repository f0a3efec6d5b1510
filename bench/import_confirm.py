"""Time of the funding import of 5 000 lines (issue: the confirm wrote ~30 ms a line, minutes
in all; it must take under 10 s on PostgreSQL). In-process, on a throw-away database of the
configured kind (on PostgreSQL `bench_import_confirm_<pid>`, created on the configured
server and dropped at the end; a temporary file for SQLite), seeded with `seed_ctg`:

    DJANGO_SECRET_KEY=x .venv/bin/python bench/import_confirm.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ctg_funding \
        DJANGO_SECRET_KEY=x .venv/bin/python bench/import_confirm.py

Three imports: 5 000 new lines (three years each); the same file with every amount changed
(15 000 amounts updated); then with every line's category and amount changed (5 000 lines and
15 000 amounts updated). Each is read and checked (preview), kept for its confirmation
(store), then confirmed (take and apply); queries are counted.
"""

import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LINES = 5000
YEARS = (2023, 2024, 2025)


def xlsx(lines, amount, category="bonus territoire CTG"):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Ligne de financement", "Structure", "Catégorie", "Financeur", "Part", *YEARS])
    for index in range(lines):
        label = f"Ligne importée {index:04d}"
        sheet.append([label, "", category, "CAF du Tarn", "CAF"] + [amount] * 3)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(step):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = step()
        seconds = time.perf_counter() - start
    return result, seconds, len(queries)


def run(convention, user, label, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from funding.imports import FundingImport, apply_import
    from funding.services import store_preview, take_preview

    upload = SimpleUploadedFile("financements.xlsx", content)
    preview, preview_s, preview_q = timed(lambda: FundingImport(convention).preview(upload))
    assert preview.is_valid, preview.file_errors or [r.errors for r in preview.rows if r.errors]
    payload = preview.payload
    token, store_s, store_q = timed(lambda: store_preview(convention, user, payload))

    def confirm():
        return apply_import(convention, take_preview(convention, user, token), user=user)

    writes, confirm_s, confirm_q = timed(confirm)
    counts = (
        f"{len(writes.new_lines)} new / {len(writes.changed_lines)} changed lines, "
        f"{len(writes.new_amounts)} new / {len(writes.changed_amounts)} changed amounts"
    )
    print(f"{label} ({counts})")
    for step, seconds, queries in [
        ("preview (read and check the XLSX)", preview_s, preview_q),
        ("store the preview (PendingImport)", store_s, store_q),
        ("confirm (take it, apply the import)", confirm_s, confirm_q),
    ]:
        print(f"  {step:40} {seconds:7.2f} s {queries:6} queries")


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    test = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor == "sqlite":  # a file, as in use (the test default is in memory)
        test["NAME"] = str(Path(tempfile.mkdtemp()) / "import_confirm.sqlite3")
    else:  # a name of its own: the test suite's `test_<name>` may be in use meanwhile
        test["NAME"] = f"bench_import_confirm_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        call_command("seed_ctg", stdout=io.StringIO())
        from conventions.models import Convention
        from funding.reports import funding_table

        convention = Convention.objects.get()
        user = get_user_model().objects.create(username="bench-import")
        print(f"{LINES} lines on {connection.vendor} ({connection.settings_dict['NAME']})")
        run(convention, user, "create", xlsx(LINES, 1000))
        run(convention, user, "update amounts", xlsx(LINES, 1250))
        run(convention, user, "update lines", xlsx(LINES, 1500, category="coordination CTG"))
        table = funding_table(convention)
        print(f"total planned after the imports: {table.total} € over {len(table.rows)} lines")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
