"""Page count, build time and peak memory of a year's bilan as PDF and as Word document.

    DJANGO_SECRET_KEY=x .venv/bin/python bench/bilan_reports.py [--slug SLUG] [--year 2024]
    DJANGO_SECRET_KEY=x .venv/bin/python bench/bilan_reports.py --sheets 300   # a generated one

Builds a throw-away SQLite database under var/ (or uses DATABASE_URL as given) with the seed
convention and its demonstration data (`seed_ctg`, `seed_demo --force`); with `--sheets N`, also
one generated convention of N sheets with its reviews (`generate_dataset --conventions 1
--sheets N`), which is then measured unless `--slug` names another. Builds each document
`--repeat` times (best time kept) from the reports' own code (bilans.reports), counts the
PDF's pages with pdfinfo and the queries of one build, then measures the peak of the memory
allocated while building each document once more (tracemalloc, which slows that run down).
`--keep` reuses the database of a previous run. The Word document's pages are counted as
LibreOffice lays it out (when `soffice` is installed).
"""

import argparse
import atexit
import io
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GENERATED_PREFIX = "benchrep"


def setup(args):
    from bench.throwaway import use_database

    use_database(f"bench-bilan-reports-{args.sheets}", args.keep)

    from django.conf import settings

    # The static files collected into a temporary directory, as in production (the PDF's
    # stylesheet is read from there), whatever the state of the tree's staticfiles/.
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STATIC_ROOT = tempfile.mkdtemp(prefix="ctg-bench-static-")
    atexit.register(shutil.rmtree, settings.STATIC_ROOT, ignore_errors=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    import django

    django.setup()
    from django.core.management import call_command

    from conventions.models import Convention
    from operations import seed

    quiet = {"stdout": io.StringIO(), "verbosity": 0}
    call_command("collectstatic", interactive=False, **quiet)
    call_command("migrate", **quiet)
    if not Convention.objects.filter(slug=seed.SLUG).exists():
        started = time.perf_counter()
        call_command("seed_ctg", **quiet)
        call_command("seed_demo", force=True, **quiet)
        if args.sheets:
            call_command(
                "generate_dataset",
                conventions=1,
                sheets=args.sheets,
                meetings=0,
                prefix=GENERATED_PREFIX,
                **quiet,
            )
        print(f"database built in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def pdf_pages(content):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(content)
        file.flush()
        info = subprocess.run(["pdfinfo", file.name], check=True, capture_output=True, text=True)
    return int(next(line for line in info.stdout.splitlines() if line.startswith("Pages:"))[6:])


def docx_pages(content):
    """The pages of the Word document as LibreOffice lays it out (headless, converted to PDF),
    or None without LibreOffice: Word itself may break the pages a little differently."""
    if shutil.which("soffice") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "bilan.docx"
        source.write_bytes(content)
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", folder, str(source)],
            check=True,
            capture_output=True,
            timeout=600,
        )
        return pdf_pages((Path(folder) / "bilan.pdf").read_bytes())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slug", help="the convention (default: the demo, or the generated one)")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--sheets", type=int, default=0, help="generate a convention of N sheets")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists")
    args = parser.parse_args()
    setup(args)

    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from bilans import reports
    from conventions.models import Convention
    from ctg_portal.pdf import render_document
    from operations import seed

    translation.activate("fr")
    if args.slug:
        convention = Convention.objects.get(slug=args.slug)
    elif args.sheets:
        convention = Convention.objects.filter(slug__startswith=GENERATED_PREFIX).first()
    else:
        convention = Convention.objects.get(slug=seed.SLUG)
    year = args.year if args.year in convention.years else convention.years[0]
    access = SimpleNamespace(convention=convention)
    request = RequestFactory().get("/")
    sheets = convention.action_sheets.active().count()
    print(f"{convention.slug}: bilan {year}, {sheets} sheets")

    def build_pdf():
        context = reports.report_context(access, year)
        return render_document(request, "bilans/report_pdf.html", context).write_pdf()

    def build_docx():
        return reports.build_docx(reports.report_context(access, year))

    for name, build in (("PDF", build_pdf), ("DOCX", build_docx)):
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                content = build()
                times.append(time.perf_counter() - started)
        tracemalloc.start()
        build()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if name == "PDF":
            pages = f"{pdf_pages(content)} pages"
        else:
            count = docx_pages(content)
            pages = "pages: no LibreOffice" if count is None else f"{count} pages (LibreOffice)"
        print(
            f"{name:5} {pages}, {len(content) / 1024:.0f} KiB, best {min(times):.2f} s "
            f"of {args.repeat}, {len(queries)} queries, peak {peak / 2**20:.0f} MiB allocated"
        )


if __name__ == "__main__":
    main()
