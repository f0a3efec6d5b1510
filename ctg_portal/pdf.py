"""PDF printouts: a print page's HTML laid out by WeasyPrint, with its print CSS.

WeasyPrint reads the stylesheets the page links to. It never fetches them over HTTP (the
portal would call itself, through its proxy and its login): `StaticFilesFetcher` reads
`/static/…` from the collected files or the static finders, decodes `data:` URLs in memory,
and refuses anything else.
"""

import logging
import mimetypes
import posixpath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header

# WeasyPrint announces every step of every layout at INFO, from its import on, and warns of
# each rule of Bootstrap's CSS it does not read (media features, vw, keyframes): a few hundred
# lines per PDF. The portal's log keeps its errors: a stylesheet or an image not loaded.
logging.getLogger("weasyprint").setLevel(logging.ERROR)

import weasyprint  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402


def static_file_path(url_path):
    """The file behind a `/static/…` URL path, or None.

    The collected files first (with a manifest storage, the hashed names the `static` tag
    writes), else the finders (development and tests, where nothing is collected).
    """
    prefix = "/" + urlsplit(settings.STATIC_URL).path.lstrip("/")
    if not url_path.startswith(prefix):
        return None
    name = posixpath.normpath(unquote(url_path[len(prefix) :]))
    if name.startswith(("..", "/")) or name == ".":
        return None
    try:
        if staticfiles_storage.exists(name):
            return staticfiles_storage.path(name)
    except NotImplementedError:  # a storage without local files
        pass
    return finders.find(name)


class StaticFilesFetcher(URLFetcher):
    """WeasyPrint's fetcher for the portal's own static files: no network, ever."""

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)  # decoded by urllib's DataHandler, no network
        path = static_file_path(parts.path) if parts.scheme in ("http", "https") else None
        if path is None:
            # WeasyPrint logs it and goes on without the resource.
            raise ValueError(f"Printouts read the portal's static files only: {url}")
        content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        with open(path, "rb") as file:
            body = file.read()
        return URLFetcherResponse(url, body, {"Content-Type": content_type})


def lay_out(html, base_url):
    """A print page's HTML laid out on A4 pages (`base_url`: the portal's address, for the
    page's `/static/…` links, which StaticFilesFetcher reads from the disk)."""
    return weasyprint.HTML(
        string=html, base_url=base_url, url_fetcher=StaticFilesFetcher()
    ).render()


def render_document(request, template_name, context):
    """A print page laid out on A4 pages: the template rendered as for the browser."""
    html = render_to_string(template_name, context, request=request)
    return lay_out(html, request.build_absolute_uri("/"))


def pdf_response(request, template_name, context, filename):
    """The print page as a PDF attachment named `filename`."""
    pdf = render_document(request, template_name, context).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response
