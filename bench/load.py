"""Measure pages against the bare page with wrk, alternating, in one run (see bench/load.sh).

    python bench/load.py --base http://127.0.0.1:8320 --user caf --password demo-ctg-2025 \
        --slug thore-montagne-noire-2023-2025 --sheet 4 --rounds 3 --seconds 5 \
        [--meeting 12 --year 2024 --token ctg_…]

--meeting adds the meetings list, that meeting and its session mode; --year the year's bilan;
--members the members page; --token (the bench user's API token) two API lists, the
conventions and the convention's sheets, read with `Authorization: Bearer` and no cookie.

Prints req/s, p50 and p99 of each page and its ratio to the bare page's req/s (the bare runs
of the same round, before and after the page, averaged).
"""

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from probe import login


def wrk(url, cookie, seconds, connections):
    """One wrk run; `cookie` is the session cookie, or ("Bearer", token) for the API."""
    header = (
        f"Authorization: Bearer {cookie[1]}" if isinstance(cookie, tuple) else f"Cookie: {cookie}"
    )
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", header, url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def percentile(p):
        match = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise SystemExit(f"{url}: {non_2xx.group(1)} answers were not 2xx/3xx:\n{out}")
    return rps, percentile(50), percentile(99)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--slug", required=True)
    parser.add_argument("--sheet", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--label", default="")
    parser.add_argument("--meeting", type=int, help="a meeting of the convention")
    parser.add_argument("--year", type=int, help="a year of the convention's bilans")
    parser.add_argument("--members", action="store_true", help="the members page")
    parser.add_argument("--token", help="the user's API token")
    parser.add_argument("--only", default="", help="these pages only (labels, comma-separated)")
    args = parser.parse_args()

    cookie = login(args.base, args.user, args.password)
    slug = args.slug
    pages = {
        "dashboard": f"/conventions/{slug}/",
        "sheet list": f"/conventions/{slug}/fiches/",
        "sheet": f"/conventions/{slug}/fiches/{args.sheet}/",
        "funding table": f"/conventions/{slug}/financements/",
        "CAF overview": "/conventions/",
        "CSV export": f"/conventions/{slug}/financements/export.csv",
    }
    if args.meeting:
        meeting = f"/conventions/{slug}/instances/{args.meeting}/"
        pages["meetings list"] = f"/conventions/{slug}/instances/"
        pages["meeting"] = meeting
        pages["session mode"] = f"{meeting}seance/"
    if args.year:
        pages["year's bilan"] = f"/conventions/{slug}/bilans/{args.year}/"
    if args.members:
        pages["members page"] = f"/conventions/{slug}/membres/"
    if args.token:
        pages["API conventions"] = "/api/v1/conventions/"
        pages["API sheets"] = f"/api/v1/conventions/{slug}/sheets/"
    if args.only:
        wanted = {label.strip() for label in args.only.split(",")}
        pages = {name: path for name, path in pages.items() if name in wanted}
    credentials = {
        name: ("Bearer", args.token) if name.startswith("API") else cookie for name in pages
    }
    bare = "/bench/bare/"
    wrk(args.base + bare, cookie, 1, args.connections)
    for name, path in pages.items():  # warm up every worker, and check the answers
        wrk(args.base + path, credentials[name], 1, args.connections)
    results = {name: [] for name in pages}
    bare_runs = []
    for _round in range(args.rounds):
        before = wrk(args.base + bare, cookie, args.seconds, args.connections)
        bare_runs.append(before)
        for name, path in pages.items():
            page = wrk(args.base + path, credentials[name], args.seconds, args.connections)
            after = wrk(args.base + bare, cookie, args.seconds, args.connections)
            bare_runs.append(after)
            results[name].append((page, (before[0] + after[0]) / 2))
            before = after

    print(
        f"\n{args.label} — {args.rounds} rounds of {args.seconds} s, {args.connections} "
        f"connections, alternating with the bare page"
    )
    print(f"{'page':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}")
    rps = statistics.median(r[0] for r in bare_runs)
    p50 = statistics.median(r[1] for r in bare_runs)
    p99 = statistics.median(r[2] for r in bare_runs)
    print(f"{'bare page':<18}{rps:>9.0f}{p50:>9.2f}{p99:>9.2f}{1:>8.2f}")
    worst = 1.0
    for name, runs in results.items():
        rps = statistics.median(page[0] for page, _bare in runs)
        p50 = statistics.median(page[1] for page, _bare in runs)
        p99 = statistics.median(page[2] for page, _bare in runs)
        ratio = statistics.median(page[0] / bare for page, bare in runs)
        worst = min(worst, ratio)
        print(f"{name:<18}{rps:>9.0f}{p50:>9.2f}{p99:>9.2f}{ratio:>8.2f}")
    print(f"lowest ratio: {worst:.2f}")


if __name__ == "__main__":
    main()
