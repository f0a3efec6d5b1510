"""The checks of bench/multi.sh: two instances of the portal (A and B) over one PostgreSQL,
one Redis and one S3 bucket behave as one portal, seen through real HTTP.

    python bench/multi_check.py bucket ENDPOINT NAME    create the bucket (moto_server)
    python bench/multi_check.py http URL_A URL_B        sessions, an edit, a document, a long
                                                         PDF, the throttle
    python bench/multi_check.py reminders               send_reminders on both at once
    python bench/multi_check.py cookie URL              a logged-in Cookie header, for wrk

Each check prints "PASS …" or "FAIL …"; the exit code is the number of failures. Standard
library and requests only, plus boto3 for the bucket; the database is read through manage.py.
"""

import datetime
import html.parser
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SLUG = "thore-montagne-noire-2023-2025"
# seed_demo's superuser: the seed convention (2023–2025) has ended by the machine's clock, and
# only superusers still edit an ended convention's sheets and documents.
USER, PASSWORD = "admin", "demo-ctg-2025"
# A Monday (REMINDERS_WEEKDAY's default) while the seed convention runs: digests are due.
REMINDERS_DAY = "2025-12-01"
failures = 0


def report(ok, what):
    global failures
    failures += not ok
    print(f"{'PASS' if ok else 'FAIL'}  {what}", flush=True)
    return ok


class Forms(html.parser.HTMLParser):
    """The forms of a page: {action: {name: value}} with the values a browser would post
    untouched (hidden and text inputs, checked boxes, selected options, textareas)."""

    def __init__(self, page):
        super().__init__()
        self.forms, self.current, self.select, self.textarea = {}, None, None, None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = self.forms.setdefault(attrs.get("action") or "", {})
        elif self.current is None or ("name" not in attrs and tag != "option"):
            return
        elif tag == "input" and attrs.get("type") not in {"submit", "file", "button"}:
            if attrs.get("type") not in {"checkbox", "radio"} or "checked" in attrs:
                self.current[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self.select = attrs["name"]
            self.current.setdefault(self.select, "")
        elif tag == "option" and self.select and "selected" in attrs:
            self.current[self.select] = attrs.get("value") or ""
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.current[self.textarea] = ""

    def handle_data(self, data):
        if self.textarea:
            self.current[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def ending(self, suffix):
        for action, fields in self.forms.items():
            if action.endswith(suffix):
                return action, dict(fields)
        raise LookupError(f"no form posting to …{suffix}")


def login(base):
    session = requests.Session()
    page = session.get(f"{base}/connexion/", timeout=30)
    fields = Forms(page.text).ending("/connexion/")[1]
    fields.update(username=USER, password=PASSWORD)
    response = session.post(
        f"{base}/connexion/", data=fields, headers={"Referer": page.url}, timeout=30
    )
    response.raise_for_status()
    return session


def logged_in(session, base):
    response = session.get(f"{base}/conventions/{SLUG}/", allow_redirects=False, timeout=30)
    return response.status_code == 200


def pdf_bytes(text):
    """A small valid PDF (as the tests build them) carrying `text`."""
    body = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET"
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n"
        + f"4 0 obj<</Length {len(body)}>>stream\n{body}\nendstream endobj\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def check_http(base_a, base_b):
    a = login(base_a)
    report(logged_in(a, base_a), f"logged in on A ({base_a})")
    b = requests.Session()
    b.cookies.update(a.cookies)
    report(logged_in(b, base_b), "the same session cookie is logged in on B")

    # An edit on A (a note on sheet 1, with CSRF) is on B's page at once.
    sheet = f"/conventions/{SLUG}/fiches/1/"
    page = a.get(base_a + sheet, timeout=30)
    action, fields = Forms(page.text).ending("/notes/")
    text = f"Note multi-instance {uuid.uuid4().hex[:12]}"
    fields.update(text=text, written_on=datetime.date.today().isoformat())
    posted = a.post(base_a + action, data=fields, headers={"Referer": page.url}, timeout=30)
    report(posted.ok and text in posted.text, f"a note posted on A ({posted.status_code})")
    report(text in b.get(base_b + sheet, timeout=30).text, "the note is on B's sheet at once")

    # A document uploaded through A downloads byte for byte through B.
    documents = f"/conventions/{SLUG}/documents/"
    page = a.get(base_a + documents, timeout=30)
    action, fields = Forms(page.text).ending("/documents/ajouter/")
    content = pdf_bytes(f"Multi {uuid.uuid4().hex}")
    keys_before = set(bucket_keys())
    fields.update(
        kind="deliberation",
        title=f"Multi-instance {uuid.uuid4().hex[:8]}",
        date=datetime.date.today().isoformat(),
        attached_to="convention",
    )
    fields.pop("url", None)
    posted = a.post(
        base_a + action,
        data=fields,
        files={"file": ("Délibération multi.pdf", content, "application/pdf")},
        headers={"Referer": page.url},
        timeout=30,
    )
    report(
        posted.ok and fields["title"] in posted.text,
        f"a document uploaded on A ({posted.status_code})",
    )
    listing = b.get(base_b + documents, timeout=30).text
    numbers = [int(pk) for pk in re.findall(rf"{documents}(\d+)/telecharger/", listing)]
    download = b.get(f"{base_b}{documents}{max(numbers, default=0)}/telecharger/", timeout=30)
    report(
        download.status_code == 200 and download.content == content,
        f"downloaded through B byte for byte ({len(download.content)} bytes)",
    )
    new = sorted(set(bucket_keys()) - keys_before)
    report(len(new) == 1, f"the file is in the S3 bucket, not on A's disk: {new}")


def check_printout(base_a, base_b):
    """A long PDF (the instances run with PRINTOUT_INLINE_BYTES=1000: the demo's bilan counts
    as one) asked for on A is laid out in A's background thread and kept in the bucket; B,
    asked meanwhile, answers the waiting page without building it again, then serves it."""
    a = login(base_a)
    b = requests.Session()
    b.cookies.update(a.cookies)
    url = f"/conventions/{SLUG}/bilans/2024/bilan.pdf"
    keys_before = set(bucket_keys())
    first = a.get(base_a + url, timeout=30)
    report(
        first.status_code == 202 and "en cours de préparation" in first.text,
        f"a long PDF asked for on A: the waiting page at once ({first.status_code}, "
        f"{first.elapsed.total_seconds() * 1000:.0f} ms)",
    )
    started, answers = time.monotonic(), []
    while time.monotonic() - started < 120:
        answer = b.get(base_b + url, timeout=30)
        answers.append(answer.status_code)
        if answer.status_code != 202:
            break
        time.sleep(0.5)
    waited = time.monotonic() - started
    report(
        answer.status_code == 200
        and answer.headers.get("Content-Type") == "application/pdf"
        and answer.content.startswith(b"%PDF-"),
        f"B served it once built ({len(answer.content) // 1024} KiB, after {waited:.1f} s and "
        f"{answers.count(202)} waiting page(s) on B)",
    )
    new = sorted(key for key in set(bucket_keys()) - keys_before if "/printouts/" in f"/{key}")
    report(len(new) == 1, f"one PDF built, kept in the S3 bucket: {new}")


def check_throttle(base_a, base_b):
    """The throttles count in the shared cache: wrong calendar addresses are limited per
    client (feeds.views, 60 per 10 minutes): 40 asked on A then 40 on B meet the limit."""
    url = "/calendrier/multi-instance-unknown-token.ics"
    answers = [
        requests.get(base + url, timeout=30).status_code for base in [base_a] * 40 + [base_b] * 40
    ]
    refused = answers.count(429)
    report(
        answers[:40].count(404) == 40 and refused == 80 - 60,
        f"the throttle counts across instances: {refused} of 80 wrong feed addresses refused (429) "
        "after 60, the last 20 all on B",
    )


def bucket_keys():
    """The keys of the S3 bucket the instances use (S3_BUCKET on S3_ENDPOINT_URL)."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"])
    listing = s3.list_objects_v2(Bucket=os.environ["S3_BUCKET"])
    return [item["Key"] for item in listing.get("Contents", [])]


def manage(*args, **env):
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def sent_count():
    code = "from accounts.models import SentNotification as S; print(S.objects.count())"
    return int(manage("shell", "--no-imports", "-c", code).communicate()[0].split()[-1])


def check_reminders(folder):
    """send_reminders started on both instances at the same moment sends each digest once."""
    day = REMINDERS_DAY
    dry = manage("send_reminders", "--dry-run", "--date", day).communicate()[0]
    last = dry.strip().splitlines()[-1] if dry.strip() else ""
    expected = int(re.findall(r"\d+", last)[0]) if re.findall(r"\d+", last) else 0
    before = sent_count()
    runs = [
        manage("send_reminders", "--date", day, EMAIL_URL=f"file://{folder}/{name}")
        for name in ("a", "b")
    ]
    outputs = [run.communicate()[0] for run in runs]
    files = {name: len(list(Path(folder, name).glob("*"))) for name in ("a", "b")}
    rows = sent_count() - before
    ok = expected > 0 and sum(files.values()) == expected == rows
    report(
        ok and all(run.returncode == 0 for run in runs),
        f"send_reminders on both at once ({day}): {expected} digests due, e-mails written "
        f"A {files['a']} + B {files['b']} = {sum(files.values())}, {rows} SentNotification rows",
    )
    if not ok:
        print(dry, *outputs, sep="\n")


def main(argv):
    command, *args = argv
    if command == "bucket":
        import boto3

        boto3.client("s3", endpoint_url=args[0]).create_bucket(Bucket=args[1])
        return 0
    if command == "cookie":
        session = login(args[0])
        print("; ".join(f"{k}={v}" for k, v in session.cookies.items()))
        return 0
    try:
        if command == "http":
            check_http(*args)
            check_printout(*args)
            check_throttle(*args)
        elif command == "reminders":
            check_reminders(*args)
    except Exception as error:  # a page that did not answer as expected: one failure, said
        report(False, f"{command}: {error!r}")
    return failures


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
