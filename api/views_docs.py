"""The API's documentation page, /api/v1/docs/: in the portal's layout, open to everyone,
rendered on the server from the generated schema (no Swagger UI, nothing from a CDN)."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from accounts.mail import absolute_url

from . import docs as content


@require_safe
def docs(request):
    base = absolute_url(reverse("api:conventions"))
    return render(
        request,
        "api/docs.html",
        {
            "endpoints": content.endpoints(),
            "api_base": base.removesuffix("conventions/"),
            "schema_url": absolute_url(reverse("api:schema")),
        },
    )
