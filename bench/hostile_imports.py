"""Time and peak memory of the funding import on hostile spreadsheets (issue: a 5 KB XLSX took
gigabytes). Runs the import's preview in-process on a throw-away SQLite database.

    DJANGO_SECRET_KEY=x .venv/bin/python bench/hostile_imports.py
"""

import io
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def xlsx(rows, declare_xfd):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Ligne de financement", "Structure", "Catégorie", "Financeur", "Part", 2023])
    for index in range(rows):
        sheet.append([f"L{index}"])
    if declare_xfd:
        sheet.append([None] * 16383 + ["x"])  # the sheet then declares A1:XFD<n>
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg_portal.settings")
    database = Path(tempfile.mkdtemp()) / "hostile.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from conventions.models import Convention
    from funding.imports import FundingImport

    call_command("migrate", verbosity=0)
    call_command("seed_ctg", stdout=io.StringIO())
    convention = Convention.objects.get()
    cases = [
        ("XLSX declaring A1:XFD2002, 2 000 one-cell rows", xlsx(2000, True)),
        ("XLSX declaring A1:XFD20002, 20 000 one-cell rows", xlsx(20000, True)),
        ("XLSX of 200 000 plain rows", xlsx(200000, False)),
    ]
    print(f"{'file':52} {'size':>8} {'seconds':>8} {'peak MiB':>9}  answer")
    for label, content in cases:
        tracemalloc.start()
        start = time.perf_counter()
        preview = FundingImport(convention).preview(SimpleUploadedFile("f.xlsx", content))
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
        answer = preview.file_errors[0] if preview.file_errors else f"{len(preview.rows)} rows"
        size = f"{len(content) / 1024:.1f} KB"
        print(f"{label:52} {size:>8} {seconds:8.2f} {peak:9.1f}  {answer}")


if __name__ == "__main__":
    main()
