"""A steady load with a per-request log, for bench/fault.sh.

    python bench/probe.py --base http://127.0.0.1:8310 --seconds 25 --user coordination \
        --password demo-ctg-2025 --path /conventions/<slug>/ --marks marks.txt

Logs in, then keeps `--clients` threads requesting `--path` (and /healthz) until `--seconds`
have passed (bounded: at most `--max-requests`). Then reads the outage marks written by the
caller (lines "down <epoch>" and "up <epoch>") and prints: requests and errors before, during
and after the outage, and the seconds from the database's return to the first 200.
"""

import argparse
import http.client
import http.cookiejar
import re
import threading
import time
import urllib.parse
import urllib.request


def login(base, username, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/connexion/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": username, "password": password}
    ).encode()
    request = urllib.request.Request(
        base + "/connexion/", data=data, headers={"Referer": base + "/connexion/"}
    )
    opener.open(request, timeout=10).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8310")
    parser.add_argument("--path", required=True)
    parser.add_argument("--user", default="coordination")
    parser.add_argument("--password", default="demo-ctg-2025")
    parser.add_argument("--seconds", type=float, default=25)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=200000)
    parser.add_argument("--marks", required=True)
    args = parser.parse_args()

    cookie = login(args.base, args.user, args.password)
    host = urllib.parse.urlsplit(args.base)
    log = []
    lock = threading.Lock()
    deadline = time.time() + args.seconds

    def client(index):
        paths = [args.path, "/healthz"]
        n = 0
        while time.time() < deadline and len(log) < args.max_requests:
            path = paths[n % 2]
            n += 1
            started = time.time()
            try:
                connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
                connection.request("GET", path, headers={"Cookie": cookie})
                status = connection.getresponse().status
                connection.close()
            except OSError:
                status = 0  # refused or timed out
            with lock:
                log.append((started, path, status))
            time.sleep(0.02)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with open(args.marks) as handle:
        marks = dict(line.split() for line in handle if line.strip())
    down, up = float(marks["down"]), float(marks["up"])
    log.sort()
    before = [s for t, _p, s in log if t < down]
    during = [s for t, _p, s in log if down <= t < up]
    after = [(t, s) for t, _p, s in log if t >= up]
    first_ok = next((t for t, s in after if s == 200), None)
    recovered = [s for t, s in after if first_ok is not None and t >= first_ok]
    print(f"requests: {len(log)} in {args.seconds:.0f} s with {args.clients} clients")
    print(f"before the outage: {len(before)} requests, {sum(s != 200 for s in before)} errors")
    print(
        f"during the outage ({up - down:.1f} s): {len(during)} requests, "
        f"{sum(s != 200 for s in during)} errors"
    )
    if first_ok is None:
        print("after the database came back: never answered 200")
        raise SystemExit(1)
    print(f"seconds from the database's return to the first 200: {first_ok - up:.2f}")
    failed_after = sum(s != 200 for s in recovered)
    print(f"after recovery: {len(recovered)} requests, {failed_after} errors")
    raise SystemExit(1 if failed_after else 0)


if __name__ == "__main__":
    main()
