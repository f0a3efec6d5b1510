"""Small HTTP helpers shared by the views."""

from __future__ import annotations

import hashlib
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_POST

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.core.files.uploadedfile import UploadedFile
    from django.http import HttpRequest, HttpResponse, QueryDict
    from django.utils.datastructures import MultiValueDict


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one, so that it is validated), else None."""
    return request.POST if request.method == "POST" else None


def posted_files(request: HttpRequest) -> MultiValueDict[str, UploadedFile] | None:
    return request.FILES if request.method == "POST" else None


def post_to(page: str, *names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For a view that only takes the POST of a form shown on another page: a GET (the user
    reloading the address a refused post answered at) goes back to that page, `page` built
    with the view's arguments `names`; other methods get the 405 page."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        post_only = require_POST(view)

        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if request.method in ("GET", "HEAD"):
                return redirect(page, **{name: kwargs[name] for name in names})
            return post_only(request, *args, **kwargs)

        return inner

    return decorator


class MethodNotAllowedPage:
    """Django answers a method a view does not serve with an empty 405: the browser then shows
    its own page, in English. This middleware gives it the portal's French page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        streaming = getattr(response, "streaming", False)
        if response.status_code == 405 and not streaming and not response.content:
            response.content = render_to_string("405.html", request=request).encode()
            response["Content-Type"] = "text/html; charset=utf-8"
        return response


def etag_of(body: bytes) -> str:
    """A strong ETag of a body: its SHA-256, shortened."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def plain_not_found(text: str) -> HttpResponseNotFound:
    """A plain-text 404 for the machine-read addresses (feeds, open-data files): a calendar
    client or a validator reads it, not a person."""
    return HttpResponseNotFound(text + "\n", content_type="text/plain; charset=utf-8")


def with_validators(
    request: HttpRequest,
    body: bytes,
    *,
    etag: str,
    last_modified: float,
    content_type: str,
    disposition: str,
    cache_control: str,
) -> HttpResponse:
    """The body with its validators (ETag, Last-Modified), or 304 when the client holds it."""
    response = get_conditional_response(request, etag=etag, last_modified=int(last_modified))
    if response is None:
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = disposition
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = cache_control
    return response
