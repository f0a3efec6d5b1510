"""Time and peak memory of the renewal of a 300-sheet convention (`renewals.services.renew`).

    DATABASE_URL=postgres://… DJANGO_SECRET_KEY=x .venv/bin/python bench/renewal.py
    DJANGO_SECRET_KEY=x .venv/bin/python bench/renewal.py --sheets 300 --repeat 3 [--keep]

Builds one generated convention of N sheets (`generate_dataset --conventions 1 --sheets N`,
three steps and an indicator with its values per sheet, nine funding lines), unless one is there
already (`--keep` reuses the throw-away SQLite database under var/ when DATABASE_URL is not
set). Renews it `--repeat` times, carrying everything the wizard offers (every sheet not
archived, all its indicators, members, lines), each time in a transaction rolled back after
it (best time kept, with the number of queries), then once more under tracemalloc for the peak
of the memory allocated. Each renewal is the confirm step's: the preview's fingerprint read
again and checked under the old convention's lock, then the writes.
"""

import argparse
import io
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PREFIX = "benchren"


def setup(args):
    from bench.throwaway import use_database

    use_database(f"bench-renewal-{args.sheets}", args.keep)
    import django

    django.setup()
    from django.core.management import call_command

    from conventions.models import Convention

    quiet = {"stdout": io.StringIO(), "verbosity": 0}
    call_command("migrate", **quiet)
    prefix = f"{PREFIX}{args.sheets}"
    if not Convention.objects.filter(slug__startswith=f"{prefix}-ctg-").exists():
        started = time.perf_counter()
        call_command(
            "generate_dataset",
            conventions=1,
            sheets=args.sheets,
            meetings=0,
            bilans=False,
            prefix=prefix,
            **quiet,
        )
        print(f"database built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return Convention.objects.filter(slug__startswith=f"{prefix}-ctg-", predecessor=None).get()


class Rollback(Exception):
    pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse the database if it exists")
    args = parser.parse_args()
    old = setup(args)

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from actions.models import Indicator, Step
    from conventions.models import Membership
    from funding.models import FundingAmount
    from renewals import queries, services
    from renewals.forms import default_period, default_slug, default_title

    source = queries.source_of(old)
    start, end = default_period(old)
    years = range(start, end + 1)
    choices = services.Choices(
        start_year=start,
        end_year=end,
        title=default_title(old, start, end),
        slug=default_slug(old, start, end),
        territory=old.territory,
        epci_id=old.epci_id,
        signatory_ids=frozenset(s.partner_id for s in source.signatories),
        challenge_ids=frozenset(c.pk for c in source.challenges),
        objective_ids=frozenset(o.pk for o in source.objectives),
        domain_ids=frozenset(d.pk for d in source.domains),
        sheet_ids=frozenset(s.pk for s in source.sheets),
        renumber=False,
        indicator_ids=frozenset(i.pk for i in source.indicators),
        membership_ids=frozenset(m.pk for m in source.memberships),
        line_ids=frozenset(line.pk for line in source.lines),
        amounts={line.pk: dict.fromkeys(years, line.last_planned or 0) for line in source.lines},
    )
    user = Membership.objects.filter(convention=old, role="coordinator").first().user
    # As the confirm step does: the preview's fingerprint, checked again under the lock.
    fingerprint = queries.preview(source, choices).fingerprint()

    def run_once():
        """Renew, count what was created, roll it all back."""
        counts = {}
        try:
            with transaction.atomic():
                new = services.renew(old, choices, user, fingerprint=fingerprint)
                counts = {
                    "sheets": new.action_sheets.count(),
                    "steps": Step.objects.filter(sheet__convention=new).count(),
                    "indicators": Indicator.objects.filter(sheet__convention=new).count(),
                    "members": new.memberships.count(),
                    "lines": new.funding_lines.count(),
                    "amounts": FundingAmount.objects.filter(line__convention=new).count(),
                }
                raise Rollback
        except Rollback:
            pass
        return counts

    times, queries_count, counts = [], 0, {}
    for _ in range(args.repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            counts = run_once()
            times.append(time.perf_counter() - started)
        queries_count = len(captured) - 6  # the counts above are not the renewal's
    tracemalloc.start()
    run_once()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    made = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    print(
        f"renewal of a {len(source.sheets)}-sheet convention ({connection.vendor}): "
        f"{min(times):.2f} s (best of {args.repeat}), {queries_count} queries, "
        f"peak {peak / 2**20:.0f} MiB, {made}"
    )


if __name__ == "__main__":
    main()
