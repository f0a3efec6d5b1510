"""The yearly reviews and the years' bilans in the back-office. A change moves the version,
as a save from the portal does: a form opened before meets a conflict, never a lost update."""

from django.contrib import admin
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ctg_portal.admin import FrenchTitlesMixin

from .models import SheetReview, YearBilan


class VersionedAdmin(FrenchTitlesMixin, SimpleHistoryAdmin):
    def save_model(self, request, obj, form, change):
        if change:
            model = type(obj)
            model.objects.filter(pk=obj.pk).update(version=F("version") + 1)
            obj.version = model.objects.values_list("version", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)


@admin.register(SheetReview)
class SheetReviewAdmin(VersionedAdmin):
    indefinite_name = _("a yearly review")
    definite_name = _("the yearly review")
    list_display = ["sheet", "year", "state", "submitted_at", "validated_at", "validated_meeting"]
    list_filter = ["state", "year"]
    search_fields = ["sheet__title", "sheet__convention__title"]
    list_select_related = ["sheet", "validated_meeting"]
    autocomplete_fields = ["sheet", "submitted_by", "validated_by", "validated_meeting"]
    readonly_fields = ["version"]


@admin.register(YearBilan)
class YearBilanAdmin(VersionedAdmin):
    indefinite_name = _("a year's bilan")
    definite_name = _("the year's bilan")
    list_display = ["convention", "year"]
    list_filter = ["year"]
    search_fields = ["convention__title"]
    list_select_related = ["convention"]
    autocomplete_fields = ["convention"]
    readonly_fields = ["version"]
