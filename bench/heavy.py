"""The heavy work of a large convention as a worker meets it: how long each request holds the
worker, what runs in the background instead, and the peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ctg_heavy DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/heavy.py [--sheets 300] [--keep] [--only pdf,docx,opendata]

Builds a throw-away database (DATABASE_URL, else SQLite under var/) with one generated
convention of N sheets with its reviews, syntheses and evaluation (`generate_dataset
--conventions 1 --sheets N`), made public. Then, through Django's test client logged in as a
coordinator, with the background builds in threads as in production (BACKGROUND_TASKS=thread):
- the bilan 2024 and the evaluation as PDF: the first request (the print page's HTML rendered
  and its key looked up: 202, the waiting page), the build in the background thread (polled
  until the printout is ready), then the download from the storage;
- the same two as Word documents (built in the request);
- the open data: the package and each file built cold (empty cache), then cached;
- with `--national`, on the database as it is (e.g. bench/load.sh's ctg_load_national, KEEP_DB):
  the open-data package of every convention built once, as after a deployment with an empty
  cache: the total, the slowest, the peak memory.
Peak memory: the growth of the process's maximum resident set while each piece of work ran
(a build in the background thread included), from `getrusage`.
"""

import argparse
import atexit
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PREFIX = "benchheavy"


def setup(args):
    from bench.throwaway import use_database

    use_database(f"bench-heavy-{args.sheets}", args.keep)
    media = tempfile.mkdtemp(prefix="ctg-bench-media-")
    static = tempfile.mkdtemp(prefix="ctg-bench-static-")
    atexit.register(shutil.rmtree, media, ignore_errors=True)
    atexit.register(shutil.rmtree, static, ignore_errors=True)
    os.environ["MEDIA_ROOT"] = media
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")  # the test client speaks HTTP
    os.environ.setdefault("DJANGO_AXES_ENABLED", "false")
    import django
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STATIC_ROOT = static  # collected, as in production (the PDFs' stylesheets)
    django.setup()
    settings.BACKGROUND_TASKS = "thread"
    from django.core.management import call_command

    from conventions.models import Convention

    quiet = {"stdout": io.StringIO(), "verbosity": 0}
    call_command("collectstatic", interactive=False, **quiet)
    call_command("migrate", **quiet)
    if not Convention.objects.filter(slug__startswith=f"{PREFIX}-ctg-").exists():
        started = time.perf_counter()
        call_command(
            "generate_dataset",
            conventions=1,
            sheets=args.sheets,
            prefix=PREFIX,
            files=0,
            **quiet,
        )
        print(f"database built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    convention = Convention.objects.get(slug__startswith=f"{PREFIX}-ctg-")
    Convention.objects.filter(pk=convention.pk).update(is_public=True)
    return convention


def max_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Meter:
    """Wall time and growth of the maximum resident set of what runs inside."""

    def __enter__(self):
        self.rss = max_rss_mib()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        self.grown = max_rss_mib() - self.rss

    def __str__(self):
        return f"{self.seconds:6.2f} s  (max RSS +{self.grown:.0f} MiB)"


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def pdf_pages(content):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(content)
        file.flush()
        info = subprocess.run(["pdfinfo", file.name], capture_output=True, text=True)
    return next(
        (line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages:")), "?"
    )


def printout(client, convention, url, name):
    from printouts.models import Printout

    Printout.objects.filter(convention=convention, name=name).delete()
    with Meter() as first:
        response = client.get(url)
        body(response)
    print(f"  request (HTML, key, claim) → {response.status_code}:  {first}")
    if response.status_code == 202:
        with Meter() as background:
            while True:
                row = Printout.objects.get(convention=convention, name=name)
                if row.state != Printout.State.BUILDING:
                    break
                time.sleep(0.1)
        print(f"  built in the background thread:     {background}  state {row.state}")
        print(f"    (its own layout time: {row.build_seconds:.2f} s)")
    with Meter() as served:
        response = client.get(url)
        content = body(response)
    size = len(content) / 1024
    print(
        f"  download from the storage → {response.status_code}:   {served}  "
        f"{size:.0f} KiB, {pdf_pages(content)} pages"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists")
    parser.add_argument("--only", default="pdf,docx,opendata")
    parser.add_argument("--national", action="store_true", help="every convention's package")
    args = parser.parse_args()
    if args.national:
        return national()
    only = set(args.only.split(","))
    convention = setup(args)

    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from actions.models import ActionSheet

    sheets = ActionSheet.objects.filter(convention=convention).count()
    print(
        f"{convention.slug}: {sheets} sheets, {connection.vendor}, "
        f"PRINTOUT_INLINE_BYTES={settings.PRINTOUT_INLINE_BYTES}"
    )
    admin = User.objects.filter(username="bench-heavy").first() or User.objects.create_superuser(
        "bench-heavy", "bench@example.org", "x"
    )
    client = Client()
    client.force_login(admin)
    slug = convention.slug
    if "pdf" in only:
        print("bilan 2024 PDF")
        printout(
            client, convention, reverse("bilans:report_pdf", args=[slug, 2024]), "bilan-2024.pdf"
        )
        print("evaluation PDF")
        printout(
            client, convention, reverse("evaluations:report_pdf", args=[slug]), "evaluation.pdf"
        )
    if "docx" in only:
        for label, url in (
            ("bilan 2024 DOCX", reverse("bilans:report_docx", args=[slug, 2024])),
            ("evaluation DOCX", reverse("evaluations:report_docx", args=[slug])),
        ):
            with Meter() as meter:
                response = client.get(url)
                content = body(response)
            size = len(content) / 1024
            print(f"{label} in the request → {response.status_code}:  {meter}  {size:.0f} KiB")
    if "opendata" in only:
        anonymous = Client()
        base = f"/public/{slug}/donnees/"
        for name in (
            "datapackage.json",
            "fiches.csv",
            "financements.csv",
            "indicateurs_valeurs.csv",
        ):
            cache.clear()
            with Meter() as cold:
                response = anonymous.get(base + name)
                content = body(response)
            with Meter() as warm:
                body(anonymous.get(base + name))
            print(
                f"open data {name:24} → {response.status_code}: cold {cold}, "
                f"cached {warm.seconds * 1000:.0f} ms, {len(content) / 1024:.0f} KiB"
            )


def national():
    """Every convention's open-data package built once, on DATABASE_URL as it is."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctg_portal.settings")
    django.setup()
    import tracemalloc

    from django.db import connection
    from django.utils import timezone

    from conventions.models import Convention
    from opendata import package, queries

    today = timezone.localdate()
    conventions = list(Convention.objects.select_related("caf", "epci").order_by("pk"))
    times, sizes = [], []
    tracemalloc.start()
    started = time.perf_counter()
    for convention in conventions:
        begun = time.perf_counter()
        bundle = package.build(convention, queries.stamp_of(convention), today)
        times.append((time.perf_counter() - begun, convention.slug))
        sizes.append(len(bundle.datapackage) + sum(len(f.body) for f in bundle.files.values()))
    total = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    slowest = max(times)
    print(
        f"open data of {len(conventions)} conventions ({connection.vendor}): {total:.1f} s in all "
        f"(under tracemalloc), {total / len(conventions) * 1000:.0f} ms each on average, slowest "
        f"{slowest[0] * 1000:.0f} ms ({slowest[1]}), {sum(sizes) / 2**20:.1f} MiB of files, "
        f"peak {peak / 2**20:.0f} MiB allocated"
    )


if __name__ == "__main__":
    main()
