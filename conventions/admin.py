from urllib.parse import urlsplit

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from ctg_portal.admin import FrenchTitlesMixin

from .models import (
    CafMembership,
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


class ConventionBoundForm(forms.ModelForm):
    """The admin form of an object of a convention: refuses links to what is not that
    convention's (ConventionBoundAdmin.convention_choices).

    Foreign keys to an object owned by a convention (an objective, a structure) are checked by
    the model's clean(); the others (partners, people, many-to-many links) here.
    """

    convention_choices = None  # set by ConventionBoundAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        convention = cleaned.get("convention")
        if convention is None and self.instance.convention_id:
            convention = self.instance.convention
        if convention is None:
            return cleaned
        for name, allowed in self.convention_choices(convention, self.instance).items():
            field = self.instance._meta.get_field(name)
            if name not in self.fields or name in self.errors or owned_by_convention(field):
                continue
            chosen = cleaned.get(name)
            ids = {o.pk for o in chosen} if field.many_to_many else {getattr(chosen, "pk", None)}
            ids.discard(None)
            if ids and allowed.filter(pk__in=ids).count() != len(ids):
                self.add_error(name, _("Choose only among what belongs to this convention."))
        return cleaned


def owned_by_convention(field):
    """A foreign key to an object that has its own convention (checked by the model)."""
    return field.many_to_one and any(
        f.name == "convention" for f in field.related_model._meta.fields
    )


class ConventionBoundAdmin(FrenchTitlesMixin, admin.ModelAdmin):
    """The admin of an object of a convention that links to objects of conventions (domains,
    objectives, pilots…): its form, its autocompletes and its validation keep to the objects of
    the object's convention (`convention_choices`)."""

    form = ConventionBoundForm

    def convention_choices(self, convention, obj):
        """{field name: the objects it may link to}, for `obj` (maybe unsaved) of `convention`."""
        return {}

    def get_form(self, request, obj=None, **kwargs):
        # formfield_for_* are given no object: it is passed on the request (None on the add
        # page, where the convention is not chosen yet: the form's clean() checks then).
        request.convention_bound_object = obj
        form = super().get_form(request, obj, **kwargs)
        form.convention_choices = self.convention_choices
        return form

    def bound_queryset(self, request, db_field):
        obj = getattr(request, "convention_bound_object", None)
        if obj is None or not obj.convention_id:
            return None
        return self.convention_choices(obj.convention, obj).get(db_field.name)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = self.bound_queryset(request, db_field)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = self.bound_queryset(request, db_field)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def referring_object(self, request):
        """The object edited on the admin page that sent `request` (an autocomplete), if any."""
        try:
            page = resolve(urlsplit(request.headers.get("referer", "")).path)
        except Resolver404:
            return None
        opts = self.model._meta
        if not (page.url_name or "").startswith(f"{opts.app_label}_{opts.model_name}_"):
            return None
        object_id = page.kwargs.get("object_id") or next(iter(page.args), None)
        return None if object_id is None else self.get_object(request, unquote(object_id))


class BoundAutocompleteAdmin(FrenchTitlesMixin, admin.ModelAdmin):
    """The admin of objects other admins link to by autocomplete: on the page of an object of
    a convention, the autocomplete lists only what that page accepts (ConventionBoundAdmin)."""

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        allowed = referring_choices(request, self.admin_site)
        if allowed is not None:
            queryset = queryset.filter(pk__in=allowed.values("pk"))
        return queryset, may_have_duplicates


def referring_choices(request, site):
    """On an autocomplete request from the page of an object of a convention: the objects the
    field may link to (None when not known: another page, the add page, a free field)."""
    match = request.resolver_match
    if match is None or match.url_name != "autocomplete":
        return None
    try:
        source = apps.get_model(request.GET["app_label"], request.GET["model_name"])
    except (KeyError, LookupError):
        return None
    source_admin = site._registry.get(source)
    if not isinstance(source_admin, ConventionBoundAdmin):
        return None
    obj = source_admin.referring_object(request)
    if obj is None or not obj.convention_id:
        return None
    return source_admin.convention_choices(obj.convention, obj).get(request.GET.get("field_name"))


class CafMembershipInline(admin.TabularInline):
    """A CAF's members (staff, managers), on the page of a partner of kind CAF."""

    model = CafMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Partner)
class PartnerAdmin(BoundAutocompleteAdmin):
    indefinite_name = _("a partner")
    definite_name = _("the partner")
    list_display = ["name", "kind", "insee_code", "siren", "epci"]
    list_filter = ["kind"]
    search_fields = ["name", "insee_code", "siren"]
    list_select_related = ["epci"]
    autocomplete_fields = ["epci"]

    def get_inlines(self, request, obj):
        # A CAF's page lists its CAF-level members; no other partner has any.
        return [CafMembershipInline] if obj is not None and obj.kind == Partner.Kind.CAF else []


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


class StatusFilter(admin.SimpleListFilter):
    """The status computed from the dates (`ConventionQuerySet.with_status`), not a column."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Convention.Status.choices

    def queryset(self, request, queryset):
        if self.value() in Convention.Status.values:
            return queryset.filter(computed_status=self.value())
        return queryset


@admin.register(Convention)
class ConventionAdmin(FrenchTitlesMixin, SimpleHistoryAdmin):
    indefinite_name = _("a convention")
    definite_name = _("the convention")
    list_display = [
        "title",
        "slug",
        "territory",
        "start_year",
        "end_year",
        "status_label",
        "is_public",
        "caf",
        "department",
    ]
    list_filter = [
        StatusFilter,
        "is_public",
        "start_year",
        ("caf", admin.RelatedOnlyFieldListFilter),
        "department",
    ]
    list_select_related = ["caf"]
    search_fields = ["title", "slug", "territory"]
    prepopulated_fields = {"slug": ["title"]}
    # The CAF's choices are the partners of kind CAF (the field's limit_choices_to, also for
    # the autocomplete); the model's clean() refuses any other.
    autocomplete_fields = ["caf", "epci", "predecessor"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "territory", "epci", "is_public"]}),
        (_("CAF and département"), {"fields": ["caf", "department"]}),
        (_("Period"), {"fields": ["start_year", "end_year", "signed_on", "predecessor"]}),
        (
            _("Status"),
            {
                "fields": ["status_override", "status_reason"],
                "description": _(
                    "The status follows the dates and the renewal; set one by hand only for "
                    "what they cannot tell (a terminated convention), with its reason."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_status(timezone.localdate())

    @admin.display(description=_("status"), ordering="computed_status")
    def status_label(self, obj):
        return obj.get_status_display()

    inlines = [SignatoryInline, DomainInline, ChallengeInline, ObjectiveInline, MembershipInline]


@admin.register(Signatory)
class SignatoryAdmin(FrenchTitlesMixin, admin.ModelAdmin):
    indefinite_name = _("a signatory")
    definite_name = _("the signatory")
    list_display = ["partner", "convention", "signed_on", "signer_name", "signer_title"]
    list_filter = ["convention"]
    search_fields = ["partner__name", "convention__title", "signer_name"]
    list_select_related = ["partner", "convention"]
    autocomplete_fields = ["partner", "convention"]


@admin.register(Domain)
class DomainAdmin(BoundAutocompleteAdmin):
    indefinite_name = _("a domain")
    definite_name = _("the domain")
    list_display = ["name", "convention", "position"]
    list_filter = ["convention"]
    search_fields = ["name", "convention__title"]
    list_select_related = ["convention"]
    autocomplete_fields = ["convention"]


@admin.register(Challenge)
class ChallengeAdmin(BoundAutocompleteAdmin):
    indefinite_name = _("a challenge")
    definite_name = _("the challenge")
    list_display = ["title", "convention", "position"]
    list_filter = ["convention"]
    search_fields = ["title", "convention__title"]
    list_select_related = ["convention"]
    autocomplete_fields = ["convention"]


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(ConventionBoundAdmin, BoundAutocompleteAdmin):
    indefinite_name = _("a strategic objective")
    definite_name = _("the strategic objective")
    list_display = ["number", "title", "convention"]
    list_display_links = ["number", "title"]
    list_filter = ["convention"]
    search_fields = ["title", "convention__title"]
    list_select_related = ["convention"]
    autocomplete_fields = ["convention", "challenges", "domains"]

    def convention_choices(self, convention, obj):
        return {"challenges": convention.challenges.all(), "domains": convention.domains.all()}


@admin.register(Membership)
class MembershipAdmin(FrenchTitlesMixin, admin.ModelAdmin):
    indefinite_name = _("a member")
    definite_name = _("the member")
    list_display = ["user", "convention", "role"]
    list_filter = ["role", "convention"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "convention__title"]
    list_select_related = ["user", "convention"]
    autocomplete_fields = ["user", "convention"]


@admin.register(CafMembership)
class CafMembershipAdmin(FrenchTitlesMixin, admin.ModelAdmin):
    """CAF-level members: read every convention of their CAF; managers manage its funding."""

    indefinite_name = _("a CAF membership")
    definite_name = _("the CAF membership")
    list_display = ["user", "caf", "role"]
    list_filter = ["role", ("caf", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__last_name", "caf__name"]
    list_select_related = ["user", "caf"]
    autocomplete_fields = ["user", "caf"]


class PortalUserAdmin(BoundAutocompleteAdmin, UserAdmin):
    """Django's user admin, whose autocomplete lists a sheet's possible pilots on its page."""

    indefinite_name = _("a user")
    definite_name = _("the user")


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), PortalUserAdmin)
