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
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Financements" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
HEADER = ["Ligne de financement", "Structure", "Catégorie", "Financeur", "Part", "2023"]


def crafted_xlsx(rows, dimension=None):
    """An XLSX written by hand as a hostile tool would: `rows` identical one-cell rows (so that
    it compresses to a few kilobytes), and a declared dimension such as "A1:XFD20002"."""
    cells = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADER)
    body = [f"<row>{cells}</row>"]
    body += ['<row><c t="inlineStr"><is><t>x</t></is></c></row>'] * rows
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"{dim}<sheetData>{''.join(body)}</sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


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
        # Written by hand, as small as the files of the issue (5 KB, 6.5 KB, 20 KB there).
        ("crafted XLSX, A1:XFD2002, 2 000 one-cell rows", crafted_xlsx(2000, "A1:XFD2002")),
        ("crafted XLSX, A1:XFD20002, 20 000 one-cell rows", crafted_xlsx(20000, "A1:XFD20002")),
        ("crafted XLSX, 200 000 one-cell rows", crafted_xlsx(200000)),
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
