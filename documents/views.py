"""The documents pages: the list (with the form to add one), the download, the deletion; and
the public download of a publishable file of a published convention."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from conventions.perms import get_convention_access_or_404
from ctg_portal.files import attachment_disposition
from ctg_portal.forms import submit_once
from ctg_portal.http import post_to

from . import queries, services
from .forms import DocumentFilterForm, DocumentForm
from .models import Document
from .perms import can_add, can_delete, get_document_or_404, piloted_sheet_ids


def list_context(request, access, form=None):
    convention = access.convention
    sheets, meetings = queries.filter_choices(convention)
    filters = DocumentFilterForm(
        request.GET or None, convention=convention, sheets=sheets, meetings=meetings
    )
    documents = filters.apply(queries.listed(convention))
    query = request.GET.copy()
    query.pop("page", None)
    if form is None and can_add(access):
        form = DocumentForm(access=access)
    if form is not None and not form.fields["attached_to"].choices:
        form = None  # a pilot of no sheet: nowhere to add a document
    return {
        "access": access,
        "convention": convention,
        "filters": filters,
        "page": queries.document_page(access, documents, request.GET.get("page")),
        "query": query.urlencode(),
        "form": form,
    }


@login_required
@require_safe
def document_list(request, slug):
    access = get_convention_access_or_404(request, slug)
    return render(request, "documents/list.html", list_context(request, access))


def local_url(request, url):
    """`url` when it is a path of this site (where to go back after adding), else None."""
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return None


@login_required
@post_to("documents:list", "slug")
def document_add(request, slug):
    access = get_convention_access_or_404(request, slug)
    access.require(can_add(access))
    form = DocumentForm(request.POST, request.FILES, access=access)
    if form.is_valid():
        document, first = submit_once(
            request.user,
            form.cleaned_data["submission"],
            lambda: services.add_document(form, request.user),
        )
        if first:
            messages.success(request, _("Document “%(title)s” added.") % {"title": document.title})
        else:  # the same form posted again (a double click, a reload): added once
            messages.info(request, _("This document was already added."))
        back = local_url(request, form.cleaned_data.get("next"))
        return redirect(back or reverse("documents:list", args=[slug]))
    return render(request, "documents/list.html", list_context(request, access, form), status=400)


def file_response(document):
    """The document's file as a download (404 for a link or a missing file): an attachment
    under its original name, never sniffed nor run by the browser."""
    if document.is_link:
        raise Http404(_("This document is a link, not a file."))
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("This document's file is missing.")) from None
    response = FileResponse(
        handle, content_type=document.content_type or "application/octet-stream"
    )
    response["Content-Disposition"] = attachment_disposition(document.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    # Whatever a browser would make of it, the file runs nothing in the portal's origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_safe
def document_download(request, slug, pk):
    access = get_convention_access_or_404(request, slug)
    return file_response(get_document_or_404(access, pk))


def get_public_file_or_404(slug, pk):
    """The file document `pk` of the published convention `slug`, publishable and not deleted
    (the default manager leaves deleted ones out); anything else is as missing as a document
    that does not exist."""
    try:
        return Document.objects.publishable().get(
            convention__slug=slug, convention__is_public=True, pk=pk, url=""
        )
    except Document.DoesNotExist:
        raise Http404(_("No such document.")) from None


@require_safe
def public_document_download(request, slug, pk):
    """A publishable file of the public page: no login, 404 unless the convention is
    published and the document publishable."""
    return file_response(get_public_file_or_404(slug, pk))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def document_delete(request, slug, pk):
    access = get_convention_access_or_404(request, slug)
    # A post may come after someone else deleted the document: it is told so, not a 404.
    document = get_document_or_404(access, pk, deleted_too=request.method == "POST")
    access.require(can_delete(access, document, piloted_sheet_ids(access)))
    if request.method == "POST":
        if services.delete_document(document, request.user):
            messages.success(
                request, _("Document “%(title)s” deleted.") % {"title": document.title}
            )
        else:
            messages.info(request, _("This document was already deleted."))
        return redirect("documents:list", slug=slug)
    return render(
        request,
        "documents/delete.html",
        {"access": access, "convention": access.convention, "document": document},
    )
