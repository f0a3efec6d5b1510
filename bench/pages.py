"""Time the portal's pages in-process, without any cache, against the login page.

    DJANGO_SECRET_KEY=x .venv/bin/python bench/pages.py [--dataset 1000] [--requests 50]

Builds a throw-away SQLite database under var/ (or uses DATABASE_URL as given), loads the seed
convention and the demonstration data (`seed_ctg`, `seed_demo --force`), optionally the
generated national dataset (`generate_dataset --conventions N`), logs in as the demo
coordinator and requests each page `--requests` times through Django's test client, with the
production settings (debug off, every middleware, hashed static files). The pages are
interleaved, one request each per round, so that a slow moment of the machine hits them all.
Prints the median and p90 of each page in milliseconds, its median's ratio to the login page's
(the baseline: a small template and no query) and the median CPU time of the requests (close to
the elapsed time when no other process took the machine meanwhile).

`--keep` reuses the database of a previous run with the same `--dataset` (the generated
dataset takes a while to create); `--slug`, `--user` and `--sheet` measure another convention
(e.g. `--slug gen-ctg-0000 --user gen-user-0000-0`, a generated one and its coordinator);
`--profile PAGE` prints a pyinstrument profile of that page instead.
"""

import argparse
import atexit
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["login", "dashboard", "sheet list", "sheet page", "funding table", "overview"]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def setup(args):
    database = ROOT / "var" / f"bench-pages-{args.dataset}.sqlite3"
    given = "DATABASE_URL" in os.environ
    if not given:
        database.parent.mkdir(exist_ok=True)
        if not args.keep:
            database.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")  # no django-axes line per login

    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    # Hashed static files as in production, collected once into a temporary directory (the
    # compression of CompressedManifestStaticFilesStorage changes nothing to a page's cost).
    settings.STATIC_ROOT = tempfile.mkdtemp(prefix="ctg-bench-static-")
    atexit.register(shutil.rmtree, settings.STATIC_ROOT, ignore_errors=True)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    import django

    django.setup()
    from django.core.management import call_command

    quiet = {"stdout": io.StringIO(), "verbosity": 0}
    call_command("collectstatic", interactive=False, **quiet)
    call_command("migrate", **quiet)
    from conventions.models import Convention
    from operations import seed

    if not Convention.objects.filter(slug=seed.SLUG).exists():
        started = time.perf_counter()
        call_command("seed_ctg", **quiet)
        call_command("seed_demo", force=True, **quiet)
        if args.dataset:
            call_command("generate_dataset", conventions=args.dataset, **quiet)
        print(f"database built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return database


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=int, default=0, help="conventions to generate")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--slug", help="the convention (default: the seed convention)")
    parser.add_argument("--sheet", type=int, default=1, help="number of the sheet to show")
    parser.add_argument("--user", default="coordination", help="a member of the convention")
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists")
    parser.add_argument("--profile", choices=PAGES, help="profile this page with pyinstrument")
    args = parser.parse_args()
    setup(args)

    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from operations import seed

    slug = args.slug or seed.SLUG
    urls = {
        "login": reverse("login"),
        "dashboard": reverse("portal:dashboard", args=[slug]),
        "sheet list": reverse("actions:list", args=[slug]),
        "sheet page": reverse("actions:detail", args=[slug, args.sheet]),
        "funding table": reverse("funding:table", args=[slug]),
        "overview": reverse("portal:overview"),
    }
    anonymous, member = Client(), Client()
    member.force_login(get_user_model().objects.get(username=args.user))
    clients = {page: anonymous if page == "login" else member for page in PAGES}

    def get(page):
        # secure: production redirects plain HTTP to HTTPS.
        response = clients[page].get(urls[page], secure=True)
        assert response.status_code == 200, (page, response.status_code)
        return response

    for page in PAGES:
        for _ in range(args.warmup):
            get(page)
    print(
        f"{connection.vendor}, {get_user_model().objects.count()} users, {slug}, "
        f"user {args.user}, sheet {args.sheet}, {args.requests} requests per page",
    )
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        with profiler:
            for _ in range(args.requests):
                get(args.profile)
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        return

    timings = {page: [] for page in PAGES}
    cpu = {page: [] for page in PAGES}
    for _ in range(args.requests):
        for page in PAGES:
            cache.clear()  # nothing may come from a cache: measure the whole work
            started, started_cpu = time.perf_counter(), time.thread_time()
            get(page)
            timings[page].append((time.perf_counter() - started) * 1000)
            cpu[page].append((time.thread_time() - started_cpu) * 1000)
    baseline = statistics.median(timings["login"])
    # The CPU time of this thread hardly moves when other processes share the machine: when
    # it stays close to the elapsed time, the run was not disturbed.
    print(f"{'page':<14} {'median ms':>10} {'p90 ms':>8} {'× login':>8} {'CPU ms':>8}")
    for page in PAGES:
        median = statistics.median(timings[page])
        p90 = percentile(timings[page], 0.9)
        print(
            f"{page:<14} {median:>10.1f} {p90:>8.1f} {median / baseline:>8.1f} "
            f"{statistics.median(cpu[page]):>8.1f}"
        )


if __name__ == "__main__":
    main()
