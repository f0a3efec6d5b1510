"""Small HTTP helpers shared by the views."""

from django.http import HttpResponseNotAllowed


def method_not_allowed(request, *methods):
    """A 405 response when the request's method is not one of `methods`, else None.

    Views call it after their access helper, so that outsiders get 404 and read-only members
    403 whatever the method: the status never tells more than the user may know.
    """
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
    if request.method not in allowed:
        return HttpResponseNotAllowed(sorted(allowed))
    return None


def posted(request):
    """The form data of a POST (even an empty one, so that it is validated), else None."""
    return request.POST if request.method == "POST" else None


def posted_files(request):
    return request.FILES if request.method == "POST" else None
