"""Long printouts (printouts.services): the year's bilan and the evaluation as PDF, laid out
once per content and served from the file storage; a long one built in the background (the user
gets a page saying so, 202, until it is there), claimed once whatever the number of requests,
taken back from a worker that died, thrown away when the content changed meanwhile; a failure
shown in French with a way to start again; built ahead when a review is validated or the
synthesis saved; on the S3 storage too."""

import datetime
import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bilans.models import SheetReview, YearBilan
from printouts import services
from printouts.models import Printout

from .helpers import once
from .test_bilans import copil, make_review, review_url, sheet_of, text
from .test_documents_s3 import BUCKET, bucket, objects  # noqa: F401 (fixture)
from .test_feeds import postgres_only, together

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
PDF_URL = reverse("bilans:report_pdf", args=[SLUG, 2024])
EVALUATION_URL = reverse("evaluations:report_pdf", args=[SLUG])


@pytest.fixture
def layouts(monkeypatch):
    """Counts the layouts (WeasyPrint runs): the real one, recorded."""
    calls = []
    real = services.lay_out

    def counted(html, base_url):
        calls.append(len(html))
        return real(html, base_url)

    monkeypatch.setattr(services, "lay_out", counted)
    return calls


@pytest.fixture
def queued(monkeypatch):
    """Background work recorded instead of run: the test runs it when it wants."""
    tasks = []
    monkeypatch.setattr(services, "run_in_background", lambda *task: tasks.append(task))
    return tasks


def run(tasks):
    while tasks:
        function, *args = tasks.pop(0)
        function(*args)


@pytest.fixture
def long(settings):
    """Every printout counts as a long one (the demo's bilan is about 40 KB of HTML)."""
    settings.PRINTOUT_INLINE_BYTES = 1000


def body(response):
    """The response's content (a file read to its end is closed by the test client)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def get(client, url):
    response = client.get(url)
    response.body = body(response)
    return response


def is_pdf(response):
    return response["Content-Type"] == "application/pdf" and response.body.startswith(b"%PDF-")


def test_a_short_printout_is_laid_out_once_then_served_from_the_storage(
    client, seeded, coordinator, elected, layouts, settings
):
    client.force_login(coordinator)
    first = get(client, PDF_URL)
    assert first.status_code == 200 and is_pdf(first)
    assert (
        'filename="bilan-thore-montagne-noire-2023-2025-2024.pdf"' in first["Content-Disposition"]
    )
    printout = Printout.objects.get()
    assert (printout.name, printout.state, printout.size) == (
        "bilan-2024.pdf",
        "ready",
        len(first.body),
    )
    assert (settings.MEDIA_ROOT / printout.file.name).read_bytes() == first.body
    # Another member, the same content: from the storage, not laid out again.
    client.force_login(elected)
    second = get(client, PDF_URL)
    assert second.status_code == 200 and second.streaming
    assert second.body == first.body
    assert len(layouts) == 1
    # A change the bilan shows: laid out again, the old file removed from the storage.
    old = settings.MEDIA_ROOT / printout.file.name
    YearBilan.objects.create(convention=seeded, year=2024, synthesis="Une année dense.")
    client.force_login(coordinator)
    third = get(client, PDF_URL)
    assert third.status_code == 200 and not third.streaming
    assert len(layouts) == 2
    printout.refresh_from_db()
    assert printout.size == len(third.body) and printout.key != services.key_of("", "")
    assert not old.exists()
    assert len(list((settings.MEDIA_ROOT / "printouts").rglob("*.pdf"))) == 1


def test_a_long_printout_is_prepared_in_the_background_then_downloaded(
    client, seeded, coordinator, layouts, queued, long
):
    client.force_login(coordinator)
    waiting = get(client, PDF_URL)
    assert waiting.status_code == 202
    assert waiting["Retry-After"] == "5" and "no-store" in waiting["Cache-Control"]
    page = text(waiting)
    assert "Bilan 2024 (PDF)" in page
    assert "il est en cours de préparation sur le serveur" in page
    assert 'data-reload-after="5"' in page and "js/reload.js" in page
    assert f'href="{reverse("bilans:year", args=[SLUG, 2024])}"' in page
    assert layouts == [] and len(queued) == 1  # nothing laid out in the request
    # Reloads while it is built: claimed once, whatever the number of requests.
    assert get(client, PDF_URL).status_code == 202
    assert get(client, PDF_URL + "?relancer=1").status_code == 202
    assert len(queued) == 1
    run(queued)
    assert len(layouts) == 1
    done = get(client, PDF_URL)
    assert done.status_code == 200 and is_pdf(done)
    printout = Printout.objects.get()
    assert printout.state == "ready" and printout.build_seconds is not None
    # The next change: the waiting page tells how long the last preparation took.
    YearBilan.objects.create(convention=seeded, year=2024, synthesis="Une année dense.")
    Printout.objects.update(build_seconds=17.2)
    assert "Sa dernière préparation a pris 17" in text(get(client, PDF_URL))


def test_the_evaluation_is_a_printout_too(client, seeded, coordinator, queued, long):
    client.force_login(coordinator)
    assert get(client, EVALUATION_URL).status_code == 202
    run(queued)
    response = get(client, EVALUATION_URL)
    assert response.status_code == 200 and is_pdf(response)
    assert Printout.objects.get().name == "evaluation.pdf"


def test_a_build_claimed_by_a_worker_that_died_is_taken_back_after_the_lease(
    client, seeded, coordinator, queued, long
):
    client.force_login(coordinator)
    get(client, PDF_URL)
    queued.clear()  # the worker stopped: its build never finishes
    assert get(client, PDF_URL).status_code == 202 and queued == []
    Printout.objects.update(started_at=timezone.now() - services.LEASE - datetime.timedelta(1))
    assert get(client, PDF_URL).status_code == 202
    assert len(queued) == 1
    run(queued)
    assert get(client, PDF_URL).status_code == 200


def test_a_failed_build_is_shown_in_french_and_started_again_on_request(
    client, seeded, coordinator, queued, long, monkeypatch, caplog
):
    def broken(html, base_url):
        raise OSError("disque plein")

    monkeypatch.setattr(services, "lay_out", broken)
    client.force_login(coordinator)
    get(client, PDF_URL)
    run(queued)
    printout = Printout.objects.get()
    assert (printout.state, printout.error) == ("failed", "OSError: disque plein")
    assert "Printout bilan-2024.pdf of thore-montagne-noire-2023-2025 failed" in caplog.text
    # Shown as such, never retried in a loop by the reloading page.
    response = get(client, PDF_URL)
    assert response.status_code == 503
    page = text(response)
    assert "Le PDF n’a pas pu être préparé" in page and "js/reload.js" not in page
    assert 'href="?relancer=1"' in page
    assert queued == []
    # The user starts it again: claimed anew.
    monkeypatch.setattr(services, "lay_out", lambda html, base_url: b"%PDF-1.7 again")
    assert get(client, PDF_URL + "?relancer=1").status_code == 202
    run(queued)
    assert get(client, PDF_URL).body == b"%PDF-1.7 again"


def test_a_build_for_a_content_changed_meanwhile_is_thrown_away(seeded, settings):
    assert services.claim(seeded, "bilan-2024.pdf", "a" * 64)
    assert not services.claim(seeded, "bilan-2024.pdf", "a" * 64)  # being built
    assert services.claim(seeded, "bilan-2024.pdf", "b" * 64)  # a newer content
    assert not services.store(seeded, "bilan-2024.pdf", "a" * 64, b"%PDF old", 1, claimed=True)
    assert services.store(seeded, "bilan-2024.pdf", "b" * 64, b"%PDF new", 1, claimed=True)
    printout = Printout.objects.get()
    assert (printout.key, printout.state) == ("b" * 64, "ready")
    files = list((settings.MEDIA_ROOT / "printouts").rglob("*.pdf"))
    assert [file.read_bytes() for file in files] == [b"%PDF new"]  # the old one deleted


def test_a_file_lost_from_the_storage_is_built_again(client, seeded, coordinator, settings):
    client.force_login(coordinator)
    first = get(client, PDF_URL)
    (settings.MEDIA_ROOT / Printout.objects.get().file.name).unlink()
    again = get(client, PDF_URL)
    assert again.status_code == 200 and is_pdf(again) and first.status_code == 200
    assert Printout.objects.get().state == "ready"


def test_validating_a_review_builds_the_pdf_ahead(
    client, seeded, coordinator, elected, layouts, long, django_capture_on_commit_callbacks
):
    make_review(sheet_of(seeded, 1), state="submitted", achievements="Fait.")
    meeting = copil(seeded)
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        response = client.post(
            review_url(2024, 1, "validate"),
            {"version": 1, "meeting": meeting.pk, "submission": once()},
        )
    assert response.status_code == 302 and len(after_commit) == 1
    assert SheetReview.objects.get().state == "validated"
    assert len(layouts) == 1  # after the commit, in the background (here: at once)
    assert Printout.objects.get().state == "ready"
    # The elected official downloads it from the storage, without waiting.
    client.force_login(elected)
    response = get(client, PDF_URL)
    assert response.status_code == 200 and response.streaming
    assert len(layouts) == 1


def save_synthesis(client, capture):
    url = reverse("bilans:year", args=[SLUG, 2024])
    with capture(execute=True) as after_commit:
        response = client.post(
            url, {"synthesis": "Une année dense.", "version": 0, "submission": once()}
        )
    assert response.status_code == 302 and len(after_commit) == 1


def test_saving_the_synthesis_builds_the_pdf_ahead(
    client, seeded, coordinator, layouts, long, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    save_synthesis(client, django_capture_on_commit_callbacks)
    assert len(layouts) == 1
    assert get(client, PDF_URL).streaming


def test_a_short_bilan_is_not_built_ahead(
    client, seeded, coordinator, layouts, django_capture_on_commit_callbacks
):
    """Laid out when asked for, in a few seconds: not worth a build per change."""
    client.force_login(coordinator)
    save_synthesis(client, django_capture_on_commit_callbacks)
    assert layouts == [] and not Printout.objects.exists()


def test_an_outsider_never_reaches_a_printout(client, seeded, outsider, long, queued):
    client.force_login(outsider)
    assert get(client, PDF_URL).status_code == 404
    assert queued == [] and not Printout.objects.exists()


def test_the_stored_printout_answers_in_a_fixed_number_of_queries(client, seeded, coordinator):
    client.force_login(coordinator)
    get(client, PDF_URL)
    with CaptureQueriesContext(connection) as queries:
        assert get(client, PDF_URL).streaming
    assert len(queries) <= 20, [query["sql"] for query in queries]


def test_printouts_go_to_the_s3_bucket(client, seeded, coordinator, bucket, settings):  # noqa: F811
    client.force_login(coordinator)
    first = get(client, PDF_URL)
    printout = Printout.objects.get()
    assert objects(bucket) == [f"portail/{printout.file.name}"]
    assert not settings.MEDIA_ROOT.exists()
    second = get(client, PDF_URL)
    assert second.body == first.body


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_in_a_real_thread_on_postgresql(client, seeded, coordinator, long, settings):
    """The worker answers 202 at once; the thread lays the PDF out and stores it; the next
    request downloads it. Ten reloads at once start one build."""
    settings.BACKGROUND_TASKS = "thread"
    client.force_login(coordinator)
    before = set(threading.enumerate())
    answers = [get(client, PDF_URL).status_code for _ in range(10)]
    assert answers == [202] * 10
    threads = [t for t in threading.enumerate() if t not in before]
    assert [t.name for t in threads] == ["ctg-background-build"]
    deadline = time.monotonic() + 60
    while Printout.objects.get().state != "ready" and time.monotonic() < deadline:
        time.sleep(0.2)
    threads[0].join(10)
    response = get(client, PDF_URL)
    assert response.status_code == 200 and is_pdf(response)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_six_users_at_once_start_one_build(seeded, coordinator, long, monkeypatch):
    """Six requests at once for the same long PDF, on PostgreSQL: one claim, one build."""
    started = []
    monkeypatch.setattr(services, "run_in_background", lambda *task: started.append(task))

    def ask(index, client):
        client.force_login(coordinator)
        return client.get(PDF_URL).status_code

    assert together(6, ask) == [202] * 6
    assert len(started) == 1
    assert Printout.objects.get().state == "building"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_short_builds_at_once_keep_one_file(seeded, coordinator, settings):
    """Two requests at once lay a short PDF out: one row, one file left in the storage."""

    def ask(index, client):
        client.force_login(coordinator)
        response = get(client, PDF_URL)
        return response.status_code, is_pdf(response)

    assert together(2, ask) == [(200, True)] * 2
    assert Printout.objects.get().state == "ready"
    assert len(list((settings.MEDIA_ROOT / "printouts").rglob("*.pdf"))) == 1
