"""Long printed reports built once, in the background, and served from the file storage.

A report's PDF is a function of its print page's HTML: the HTML is rendered in the request (a
fixed number of queries, a fraction of a second even for 300 sheets), its SHA-256 is the key.
The printout stored for that key is served from the storage (the local MEDIA_ROOT or the S3
bucket: every instance sees it). Without one:
- a short page (`PRINTOUT_INLINE_BYTES` of HTML at most, a few seconds of layout) is laid out
  in the request, stored and served;
- a long one is claimed (one build per content, whatever the number of instances, workers and
  impatient users) and laid out in the background (ctg_portal.background); the user gets a page
  saying it is being prepared, which reloads itself until the PDF is there. No worker is held
  for the layout.
`build_ahead` does the same without a user waiting, after a change that the report shows (a
review validated, the synthesis saved): the PDF is usually ready before anyone asks for it.

A build claimed by a worker that died is taken back after `LEASE`; a build that finishes for a
content no longer wanted (changed meanwhile) is thrown away; a failed build is shown as such,
with a button to start it again, never retried in a loop.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.http import content_disposition_header

from conventions.models import Convention
from ctg_portal.background import run_in_background

from .models import Printout

logger = logging.getLogger(__name__)

# A build that has not finished after this long is taken to be lost (its worker stopped).
LEASE = datetime.timedelta(minutes=10)
# How long the waiting page waits before it reloads itself, in seconds.
RELOAD_SECONDS = 5


@dataclass(frozen=True)
class Printable:
    """A report that can be printed: its name among the convention's printouts
    ("bilan-2024.pdf"), the download's file name, its print page and how to get its context
    (called in the request, or in the background thread)."""

    convention: Convention
    name: str
    filename: str
    title: str
    template_name: str
    context: Callable[[], dict[str, Any]] = field(compare=False)

    def html(self) -> str:
        return render_to_string(self.template_name, self.context())


def key_of(html: str, base_url: str) -> str:
    return hashlib.sha256(f"{base_url}\0{html}".encode()).hexdigest()


def base_url_of(request) -> str:
    return request.build_absolute_uri("/")


def inline_limit() -> int:
    return settings.PRINTOUT_INLINE_BYTES


# --- The printouts' rows ---------------------------------------------------------------------


def ready(convention: Convention, name: str, key: str) -> Printout | None:
    return (
        Printout.objects.filter(
            convention=convention, name=name, key=key, state=Printout.State.READY
        )
        .exclude(file="")
        .first()
    )


def claim(convention: Convention, name: str, key: str, *, retry: bool = False) -> bool:
    """Whether this caller is the one to build `key`: not when it is ready, being built (for a
    lease) or failed (unless `retry`, the user's own request to try again)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            Printout.objects.create(
                convention=convention,
                name=name,
                key=key,
                state=Printout.State.BUILDING,
                started_at=now,
            )
        return True
    except IntegrityError:  # the row exists: claim it with one conditional update
        pass
    busy = Q(key=key) & (
        Q(state=Printout.State.READY)
        | Q(state=Printout.State.BUILDING, started_at__gte=now - LEASE)
    )
    if not retry:
        busy |= Q(key=key, state=Printout.State.FAILED)
    claimed = (
        Printout.objects.filter(convention=convention, name=name)
        .exclude(busy)
        .update(key=key, state=Printout.State.BUILDING, started_at=now, error="")
    )
    return claimed == 1


def store(
    convention: Convention, name: str, key: str, content: bytes, seconds: float, *, claimed: bool
) -> bool:
    """Keeps `content` as the printout of `key`, replacing the previous file. A claimed build
    stores only if its key is still the one wanted; a build in the request also when no build
    is running. Whether it was kept."""
    saved = Printout(convention=convention, name=name)
    saved.file.save(name, ContentFile(content), save=False)
    replaced = None
    with transaction.atomic():
        row = Printout.objects.select_for_update().filter(convention=convention, name=name).first()
        if row is None and not claimed:
            row = Printout(convention=convention, name=name, key=key, started_at=timezone.now())
        wanted = row is not None and (
            row.key == key if claimed else row.key == key or row.state != Printout.State.BUILDING
        )
        if wanted:
            replaced = row.file.name if row.file and row.file.name != saved.file.name else None
            row.key = key
            row.state = Printout.State.READY
            row.file = saved.file.name
            row.size = len(content)
            row.built_at = timezone.now()
            row.build_seconds = round(seconds, 2)
            row.error = ""
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:  # created meanwhile by another request: theirs stays
                wanted = False
                replaced = None
    # The file no row names any more (a rollback of an enclosing transaction would leave the
    # row naming a deleted file: found missing when served, and built again).
    unused = replaced if wanted else saved.file.name
    if unused:
        saved.file.storage.delete(unused)
    return wanted


def fail(convention: Convention, name: str, key: str, error: str) -> None:
    Printout.objects.filter(
        convention=convention, name=name, key=key, state=Printout.State.BUILDING
    ).update(state=Printout.State.FAILED, error=error[:2000])


# --- Building ---------------------------------------------------------------------------------


def lay_out(html: str, base_url: str) -> bytes:
    from ctg_portal.pdf import lay_out as weasyprint_lay_out  # WeasyPrint loads only here

    return weasyprint_lay_out(html, base_url).write_pdf()


# One layout at a time per process: a 300-sheet bilan takes some 360 MiB while WeasyPrint lays it
# out; a worker asked for several long PDFs builds them one after the other, its memory bounded.
ONE_AT_A_TIME = threading.Lock()


def build(printable: Printable, key: str, html: str, base_url: str) -> None:
    """Lays out a claimed printout and stores it (in the background)."""
    try:
        with ONE_AT_A_TIME:
            started = time.perf_counter()
            content = lay_out(html, base_url)
    except Exception as error:
        logger.exception("Printout %s of %s failed", printable.name, printable.convention.slug)
        fail(printable.convention, printable.name, key, f"{type(error).__name__}: {error}")
        return
    store(
        printable.convention,
        printable.name,
        key,
        content,
        time.perf_counter() - started,
        claimed=True,
    )


def _build_ahead(printable: Printable, base_url: str, language: str) -> None:
    with translation.override(language):  # the request's language, as the download's
        html = printable.html()
    if len(html) <= inline_limit():
        return  # laid out in a few seconds when asked for: not worth a build per change
    key = key_of(html, base_url)
    if claim(printable.convention, printable.name, key):
        build(printable, key, html, base_url)


def build_ahead(request, printable: Printable) -> None:
    """After a change the report shows: its PDF built in the background if it is a long one,
    so that it is ready when the COPIL's members download it."""
    base_url, language = base_url_of(request), translation.get_language()
    transaction.on_commit(lambda: run_in_background(_build_ahead, printable, base_url, language))


# --- Serving ----------------------------------------------------------------------------------


def stored_response(printout: Printout, filename: str) -> FileResponse:
    response = FileResponse(printout.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def download(request, printable: Printable, back_url: str) -> HttpResponse:
    """The printable's PDF: from the storage, laid out now (short), or a page saying it is
    being prepared (long; 202, then the PDF once ready)."""
    convention, name = printable.convention, printable.name
    html = printable.html()
    base_url = base_url_of(request)
    key = key_of(html, base_url)
    found = ready(convention, name, key)
    if found is not None:
        try:
            return stored_response(found, printable.filename)
        except FileNotFoundError:  # lost from the storage: built again below
            logger.warning("Printout %s of %s missing from the storage", name, convention.slug)
            Printout.objects.filter(pk=found.pk).update(state=Printout.State.FAILED)
    if len(html) <= inline_limit():
        started = time.perf_counter()
        content = lay_out(html, base_url)
        store(convention, name, key, content, time.perf_counter() - started, claimed=False)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(True, printable.filename)
        return response
    retry = request.GET.get("relancer") == "1"
    if claim(convention, name, key, retry=retry):
        run_in_background(build, printable, key, html, base_url)
        found = ready(convention, name, key)  # at once when the work ran in the request
        if found is not None:
            return stored_response(found, printable.filename)
    row = Printout.objects.filter(convention=convention, name=name).first()
    failed = row is not None and row.key == key and row.state == Printout.State.FAILED
    response = render(
        request,
        "printouts/preparing.html",
        {
            "convention": convention,
            "printable": printable,
            "printout": row,
            "failed": failed,
            "back_url": back_url,
            "reload_seconds": RELOAD_SECONDS,
            "last_seconds": last_build_seconds(row),
        },
        status=503 if failed else 202,
    )
    response["Retry-After"] = str(RELOAD_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def last_build_seconds(row: Printout | None) -> int | None:
    if row is None or row.build_seconds is None:
        return None
    return max(1, round(row.build_seconds))
