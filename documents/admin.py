from django.contrib import admin, messages
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from conventions.admin import ConventionBoundAdmin

from . import services
from .models import Document


class DeletedFilter(admin.SimpleListFilter):
    title = pgettext_lazy("document", "deleted")
    parameter_name = "supprime"

    def lookups(self, request, model_admin):
        return [
            ("non", pgettext_lazy("document deleted", "No")),
            ("oui", pgettext_lazy("document deleted", "Yes")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "oui":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "non":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


@admin.register(Document)
class DocumentAdmin(ConventionBoundAdmin, SimpleHistoryAdmin):
    """Every document, deleted ones included (restored from here). Documents are added in the
    portal, which checks each file's content: here their description and attachment are
    corrected, never their file."""

    indefinite_name = _("a document")
    definite_name = _("the document")
    list_display = ["title", "kind", "convention", "date", "attached", "publishable", "state"]
    list_filter = [DeletedFilter, "kind", "publishable", "convention"]
    search_fields = ["title", "original_name", "convention__title"]
    list_select_related = ["convention", "sheet", "meeting"]
    date_hierarchy = "date"
    autocomplete_fields = ["sheet"]
    fields = [
        "convention",
        "kind",
        "title",
        "date",
        "download",
        "url",
        "sheet",
        "meeting",
        "funding_year",
        "publishable",
        "original_name",
        "size",
        "content_type",
        "uploaded_by",
        "uploaded_at",
        "deleted_at",
        "deleted_by",
    ]
    readonly_fields = [
        "convention",
        "download",
        "original_name",
        "size",
        "content_type",
        "uploaded_by",
        "uploaded_at",
        "deleted_at",
        "deleted_by",
    ]
    actions = ["restore", "delete_softly"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def convention_choices(self, convention, obj):
        return {
            "sheet": convention.action_sheets.all(),
            "meeting": convention.meetings.all(),
        }

    def get_queryset(self, request):
        return Document.all_objects.select_related(*self.list_select_related)

    def has_add_permission(self, request):
        return False  # a file is checked by the portal's form, which the admin has not

    def has_delete_permission(self, request, obj=None):
        return False  # deleted softly (the action), so that it can be restored

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=pgettext_lazy("document", "file"))
    def download(self, obj):
        if obj.is_link:
            return "—"
        if obj.is_deleted:  # the portal serves documents in use only: restore it first
            return obj.original_name
        url = reverse("documents:download", args=[obj.convention.slug, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)

    @admin.display(description=pgettext_lazy("document", "attached to"))
    def attached(self, obj):
        if obj.sheet_id:
            return obj.sheet
        if obj.meeting_id:
            return obj.meeting.label
        if obj.funding_year:
            return obj.funding_year
        return _("the convention")

    @admin.display(description=_("state"))
    def state(self, obj):
        return (
            pgettext_lazy("document", "deleted")
            if obj.is_deleted
            else pgettext_lazy("document", "in use")
        )

    @admin.action(description=_("Restore the selected documents"))
    def restore(self, request, queryset):
        count = sum(services.restore_document(document) for document in queryset)
        self.message_user(
            request,
            ngettext("%(count)s document restored.", "%(count)s documents restored.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Delete the selected documents (they can be restored)"))
    def delete_softly(self, request, queryset):
        count = sum(services.delete_document(document, request.user) for document in queryset)
        self.message_user(
            request,
            ngettext("%(count)s document deleted.", "%(count)s documents deleted.", count)
            % {"count": count},
            messages.SUCCESS,
        )
