"""The evaluations in the back-office: read and corrected; a save moves the version, so that a
form of the portal opened before meets a conflict instead of overwriting it."""

from django.contrib import admin
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ctg_portal.admin import FrenchTitlesMixin

from .models import Evaluation, ObjectiveEvaluation


class VersionedAdmin(FrenchTitlesMixin, SimpleHistoryAdmin):
    def save_model(self, request, obj, form, change):
        if change:
            type(obj).objects.filter(pk=obj.pk).update(version=F("version") + 1)
            obj.version = type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)


@admin.register(Evaluation)
class EvaluationAdmin(VersionedAdmin):
    indefinite_name = _("an evaluation")
    definite_name = _("the evaluation")
    list_display = ["convention", "version"]
    search_fields = ["convention__title"]
    list_select_related = ["convention"]
    autocomplete_fields = ["convention"]
    readonly_fields = ["version"]


@admin.register(ObjectiveEvaluation)
class ObjectiveEvaluationAdmin(VersionedAdmin):
    indefinite_name = _("an answer to an evaluation question")
    definite_name = _("the answer to an evaluation question")
    list_display = ["__str__", "evaluation", "rating", "version"]
    list_filter = ["question", "rating"]
    search_fields = ["evaluation__convention__title", "objective__title", "evidence"]
    list_select_related = ["evaluation__convention", "objective"]
    fields = ["evaluation", "objective", "question", "rating", "evidence", "indicators", "version"]
    # The indicators are chosen on the portal's page, among the objective's sheets only.
    readonly_fields = ["evaluation", "objective", "question", "indicators", "version"]

    def has_add_permission(self, request):
        return False
