"""Time the XLSX export of 10 000 funding rows (target: 2 s or less on the CI machine).

    DJANGO_SECRET_KEY=x .venv/bin/python bench/xlsx_export.py [--lines 10000]

Creates a throw-away SQLite database under var/, a convention with that many funding lines
(each with its yearly amounts), then times FundingExporter + xlsx_bytes, best of 3.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    database = ROOT / "var" / "bench-export.sqlite3"
    database.parent.mkdir(exist_ok=True)
    database.unlink(missing_ok=True)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{database}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg_portal.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")

    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command

    from conventions.models import Convention, Partner
    from ctg_portal.exports import iter_csv, xlsx_bytes
    from funding.exports import FundingExporter
    from funding.models import FundingAmount, FundingLine

    call_command("migrate", verbosity=0)
    caf = Partner.objects.create(name="CAF du banc d’essai", kind="caf")
    convention = Convention.objects.create(
        slug="banc-essai",
        title="CTG du banc d’essai",
        territory="Banc",
        start_year=2023,
        end_year=2025,
    )
    lines = FundingLine.objects.bulk_create(
        FundingLine(convention=convention, label=f"Ligne {n}", funder=caf, position=n)
        for n in range(args.lines)
    )
    FundingAmount.objects.bulk_create(
        (
            FundingAmount(line=line, year=year, planned=Decimal("12345.67"))
            for line in lines
            for year in (2023, 2024, 2025)
        ),
        batch_size=5000,
    )
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        content = xlsx_bytes(FundingExporter(convention))
        timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    csv_size = sum(len(chunk) for chunk in iter_csv(FundingExporter(convention)))
    csv_time = time.perf_counter() - started
    print(
        f"XLSX export of {args.lines} funding rows: best {min(timings):.2f} s "
        f"(runs: {', '.join(f'{t:.2f}' for t in timings)}), {len(content) / 1024:.0f} KiB"
    )
    print(f"CSV export of the same rows: {csv_time:.2f} s, {csv_size / 1024:.0f} KiB")
    database.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
