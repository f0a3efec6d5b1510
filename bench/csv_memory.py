"""Peak memory of the streamed CSV export, for 10 000 and 100 000 funding rows.

    DJANGO_SECRET_KEY=x .venv/bin/python bench/csv_memory.py

For each size: a throw-away SQLite database under var/ with a convention of that many funding
lines (3 yearly amounts each), then the CSV export consumed chunk by chunk, as the streaming
response sends it, under tracemalloc. The peak should not grow with the rows.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(lines):
    database = ROOT / "var" / f"bench-csv-{lines}.sqlite3"
    database.parent.mkdir(exist_ok=True)
    database.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg_portal.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    sys.path.insert(0, str(ROOT))
    import tracemalloc
    from decimal import Decimal

    import django

    django.setup()
    from django.core.management import call_command

    from conventions.models import Convention, Partner
    from ctg_portal.exports import iter_csv
    from funding.exports import FundingExporter
    from funding.models import FundingAmount, FundingLine

    call_command("migrate", verbosity=0)
    caf = Partner.objects.create(name="CAF du banc d’essai", kind="caf")
    convention = Convention.objects.create(
        slug="banc-csv", title="CTG", territory="Banc", start_year=2023, end_year=2025
    )
    for start in range(0, lines, 20000):
        batch = FundingLine.objects.bulk_create(
            FundingLine(convention=convention, label=f"Ligne {n}", funder=caf, position=n)
            for n in range(start, min(lines, start + 20000))
        )
        FundingAmount.objects.bulk_create(
            FundingAmount(line=line, year=year, planned=Decimal("12345.67"))
            for line in batch
            for year in (2023, 2024, 2025)
        )
    tracemalloc.start()
    started = time.perf_counter()
    size = 0
    for chunk in iter_csv(FundingExporter(convention)):
        size += len(chunk)
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    database.unlink(missing_ok=True)
    print(
        f"CSV export of {lines} funding rows: {size / 1024 / 1024:.1f} MiB written in "
        f"{elapsed:.1f} s, peak Python memory during the export {peak / 1024 / 1024:.1f} MiB"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        measure(int(sys.argv[1]))
    else:  # each size in its own process, so that one does not inherit the other's memory
        for lines in (10000, 100000):
            subprocess.run([sys.executable, __file__, str(lines)], check=True)
