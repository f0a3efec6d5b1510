"""The open-data page of a public convention and its files: no login, 404 unless the convention
is public (members included), throttled per client, cached with validators (ETag,
Last-Modified, 304)."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ctg_portal.http import etag_of, plain_not_found, with_validators
from ctg_portal.throttle import too_many

from . import package, queries
from .schema import LICENCE

# Requests per client in 10 minutes (settings.OPENDATA_THROTTLE overrides it, e.g. in tests):
# a re-user downloads the package and its six files now and then, a harvester once a day.
THROTTLE = 300
MAX_AGE = 300


def bundle_for(request, slug):
    """(the response refusing the request, None) or (None, (convention, bundle))."""
    refused = too_many(request, "opendata", getattr(settings, "OPENDATA_THROTTLE", THROTTLE))
    if refused:
        return refused, None
    convention = queries.public_convention(slug)
    if convention is None:
        return plain_not_found(_("No such public convention.")), None
    stamp = queries.stamp_of(convention)
    return None, (convention, package.bundle_of(convention, stamp, timezone.localdate()))


def validated(request, body, bundle, content_type, disposition):
    """The body with its validators, or 304 when the client holds it already."""
    response = with_validators(
        request,
        body,
        etag=etag_of(body),
        last_modified=bundle.built_at.timestamp(),
        content_type=content_type,
        disposition=disposition,
        cache_control=f"public, max-age={MAX_AGE}",
    )
    response["Access-Control-Allow-Origin"] = "*"  # open data: readable from any page
    return response


@require_safe
def page(request, slug):
    """What is published, under which licence, by whom, when last updated, and how to check
    it: the files' columns come from the same schema as the datapackage."""
    refused, found = bundle_for(request, slug)
    if refused is not None:
        if refused.status_code == 404:
            raise Http404(_("No such public convention."))
        return refused
    convention, bundle = found
    last_update = timezone.localtime(bundle.last_update).date() if bundle.last_update else None
    package_url = request.build_absolute_uri(reverse("opendata:datapackage", args=[slug]))
    return render(
        request,
        "opendata/page.html",
        {
            "convention": convention,
            "files": list(bundle.files.values()),
            "last_update": last_update,
            "licence": LICENCE,
            "producers": package.producer(convention),
            "package_url": package_url,
        },
    )


@require_safe
def datapackage(request, slug):
    refused, found = bundle_for(request, slug)
    if refused is not None:
        return refused
    _convention, bundle = found
    return validated(
        request,
        bundle.datapackage,
        bundle,
        "application/json",
        'inline; filename="datapackage.json"',
    )


@require_safe
def data_file(request, slug, name):
    refused, found = bundle_for(request, slug)
    if refused is not None:
        return refused
    _convention, bundle = found
    file = bundle.files.get(f"{name}.csv")
    if file is None:
        return plain_not_found(_("No such file in this convention's open data."))
    return validated(
        request,
        file.body,
        bundle,
        "text/csv; charset=utf-8",
        f'attachment; filename="{file.resource.filename}"',
    )
