"""Small HTTP helpers shared by the views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponseNotAllowed

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.http import HttpRequest, QueryDict
    from django.utils.datastructures import MultiValueDict


def method_not_allowed(request: HttpRequest, *methods: str) -> HttpResponseNotAllowed | None:
    """A 405 response when the request's method is not one of `methods`, else None.

    Views call it after their access helper, so that outsiders get 404 and read-only members
    403 whatever the method: the status never tells more than the user may know.
    """
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
    if request.method not in allowed:
        return HttpResponseNotAllowed(sorted(allowed))
    return None


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST (even an empty one, so that it is validated), else None."""
    return request.POST if request.method == "POST" else None


def posted_files(request: HttpRequest) -> MultiValueDict[str, UploadedFile] | None:
    return request.FILES if request.method == "POST" else None
