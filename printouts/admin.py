from django.contrib import admin

from .models import Printout


@admin.register(Printout)
class PrintoutAdmin(admin.ModelAdmin):
    """What was built, when, how fast and what failed: read-only (the portal builds them; a
    printout deleted here is built again when next asked for)."""

    list_display = ["convention", "name", "state", "built_at", "build_seconds", "size"]
    list_filter = ["state", "name"]
    list_select_related = ["convention"]
    search_fields = ["convention__slug", "convention__title", "name"]
    readonly_fields = [field.name for field in Printout._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
