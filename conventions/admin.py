from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Challenge,
    Convention,
    Domain,
    Membership,
    Partner,
    Signatory,
    StrategicObjective,
)

admin.site.site_header = _("CTG Portal — back-office")
admin.site.site_title = _("CTG Portal")
admin.site.index_title = _("Administration")


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "insee_code", "siren", "epci"]
    list_filter = ["kind"]
    search_fields = ["name", "insee_code", "siren"]
    list_select_related = ["epci"]
    autocomplete_fields = ["epci"]


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0
    autocomplete_fields = ["partner"]


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class ChallengeInline(admin.TabularInline):
    model = Challenge
    extra = 0


class ObjectiveInline(admin.StackedInline):
    model = StrategicObjective
    extra = 0
    fields = ["number", "title", "challenges", "domains"]
    filter_horizontal = ["challenges", "domains"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Only the enjeux and domains of the convention being edited.
        convention_id = request.resolver_match.kwargs.get("object_id")
        if db_field.name in {"challenges", "domains"}:
            kwargs["queryset"] = db_field.related_model.objects.filter(convention_id=convention_id)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Convention)
class ConventionAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "slug",
        "territory",
        "start_year",
        "end_year",
        "status",
        "is_public",
    ]
    list_filter = ["status", "is_public", "start_year"]
    search_fields = ["title", "slug", "territory"]
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (None, {"fields": ["title", "slug", "territory", "status", "is_public"]}),
        (_("Period"), {"fields": ["start_year", "end_year", "signed_on"]}),
    ]
    inlines = [SignatoryInline, DomainInline, ChallengeInline, ObjectiveInline, MembershipInline]


@admin.register(Signatory)
class SignatoryAdmin(admin.ModelAdmin):
    list_display = ["partner", "convention", "signed_on", "signer_name", "signer_title"]
    list_filter = ["convention"]
    search_fields = ["partner__name", "convention__title", "signer_name"]
    list_select_related = ["partner", "convention"]
    autocomplete_fields = ["partner", "convention"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "convention", "position"]
    list_filter = ["convention"]
    search_fields = ["name", "convention__title"]
    list_select_related = ["convention"]
    autocomplete_fields = ["convention"]


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ["title", "convention", "position"]
    list_filter = ["convention"]
    search_fields = ["title", "convention__title"]
    list_select_related = ["convention"]
    autocomplete_fields = ["convention"]


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "convention"]
    list_display_links = ["number", "title"]
    list_filter = ["convention"]
    search_fields = ["title", "convention__title"]
    list_select_related = ["convention"]
    autocomplete_fields = ["convention", "challenges", "domains"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "convention", "role"]
    list_filter = ["role", "convention"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "convention__title"]
    list_select_related = ["user", "convention"]
    autocomplete_fields = ["user", "convention"]
