from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ctg_portal.admin import FrenchTitlesMixin

from .models import ApiToken, Invitation


@admin.register(Invitation)
class InvitationAdmin(FrenchTitlesMixin, admin.ModelAdmin):
    """The invitations, to read: they are sent, resent and revoked from the convention's
    members page (which keeps the membership and the sheets in step). The link's digest is
    never shown."""

    indefinite_name = _("an invitation")
    definite_name = _("the invitation")
    list_display = ["email", "convention", "role", "state_shown", "created_at", "expires_at"]
    list_filter = ["role", "convention"]
    search_fields = ["email", "user__username", "user__last_name", "convention__title"]
    list_select_related = ["convention", "user"]
    date_hierarchy = "created_at"
    fields = [
        "convention",
        "user",
        "email",
        "role",
        "invited_by",
        "state_shown",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
        "sent_count",
    ]
    readonly_fields = fields

    @admin.display(description=_("state"))
    def state_shown(self, obj):
        return obj.get_state_display(timezone.now())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(FrenchTitlesMixin, admin.ModelAdmin):
    """The API tokens, to read: each person creates and revokes their own on /compte/ (the
    secret is shown once there and never stored). The digest is never shown."""

    indefinite_name = _("an API token")
    definite_name = _("the API token")
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__last_name"]
    list_select_related = ["user"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
