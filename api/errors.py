"""The API's error answers: DRF's, with bad query parameters as
`{"detail": "...", "errors": {"param": ["..."]}}` (400), in French."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"detail": _("Invalid query parameters."), "errors": errors}
    return response
