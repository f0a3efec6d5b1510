from decimal import Decimal

from django.contrib import admin
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from conventions.admin import BoundAutocompleteAdmin, ConventionBoundAdmin
from ctg_portal.admin import FrenchTitlesMixin
from ctg_portal.formatting import format_euros

from .models import FundingAmount, FundingLine, Payment, Structure


@admin.register(Structure)
class StructureAdmin(BoundAutocompleteAdmin):
    indefinite_name = _("a structure")
    definite_name = _("the structure")
    list_display = ["name", "kind", "convention", "operator", "commune"]
    list_filter = ["kind", "convention"]
    search_fields = ["name", "convention__title"]
    list_select_related = ["convention", "operator", "commune"]
    autocomplete_fields = ["convention", "operator", "commune"]


class FundingAmountInline(admin.TabularInline):
    model = FundingAmount
    extra = 0
    fields = ["year", "planned", "paid_display"]
    readonly_fields = ["paid_display"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_paid()  # cancelled payments left out

    @admin.display(description=_("paid"))
    def paid_display(self, obj):
        return format_euros(getattr(obj, "paid_total", None) or Decimal("0"))


@admin.register(FundingLine)
class FundingLineAdmin(ConventionBoundAdmin, SimpleHistoryAdmin):
    indefinite_name = _("a funding line")
    definite_name = _("the funding line")
    list_display = ["label", "convention", "structure", "category", "funder", "total_display"]
    list_filter = ["category", "convention", "funder__kind"]
    search_fields = ["label", "structure__name", "convention__title"]
    list_select_related = ["convention", "structure", "funder"]
    autocomplete_fields = ["convention", "structure", "funder"]
    inlines = [FundingAmountInline]

    def convention_choices(self, convention, obj):
        return {"structure": convention.structures.all()}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_total=Sum("amounts__planned"))

    @admin.display(description=_("total over the period"), ordering="_total")
    def total_display(self, obj):
        return format_euros(obj._total or Decimal("0"))


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    readonly_fields = ["cancelled_at", "cancel_reason"]


@admin.register(FundingAmount)
class FundingAmountAdmin(FrenchTitlesMixin, SimpleHistoryAdmin):
    indefinite_name = _("a yearly amount")
    definite_name = _("the yearly amount")
    list_display = ["line", "convention", "year", "planned_display", "paid_display"]
    list_filter = ["year", "line__convention"]
    search_fields = ["line__label", "line__convention__title"]
    list_select_related = ["line__convention"]
    autocomplete_fields = ["line"]
    inlines = [PaymentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_paid()  # cancelled payments left out

    def save_formset(self, request, form, formset, change):
        # A payment changed here moves its version, as a correction in the portal does: a
        # correction drawn from before is then refused rather than applied over this one.
        if formset.model is Payment:
            for inline_form in formset.forms:
                instance = inline_form.instance
                if instance.pk and inline_form.has_changed():
                    instance.version += 1
        super().save_formset(request, form, formset, change)

    @admin.display(description=_("convention"), ordering="line__convention__title")
    def convention(self, obj):
        return obj.line.convention

    @admin.display(description=_("planned amount"), ordering="planned")
    def planned_display(self, obj):
        return format_euros(obj.planned)

    @admin.display(description=_("paid"), ordering="paid_total")
    def paid_display(self, obj):
        return format_euros(obj.paid_total or Decimal("0"))

    def changelist_view(self, request, extra_context=None):
        # Per-year totals of what the current filters select, under the list.
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            totals = (
                changelist.queryset.order_by()
                .values("year")
                .annotate(total=Sum("planned"))
                .order_by("year")
            )
            response.context_data["year_totals"] = [
                (row["year"], format_euros(row["total"])) for row in totals
            ]
        return response


@admin.register(Payment)
class PaymentAdmin(FrenchTitlesMixin, SimpleHistoryAdmin):
    indefinite_name = _("a payment")
    definite_name = _("the payment")
    list_display = ["funding_amount", "kind", "amount", "paid_on", "cancelled_at"]
    list_filter = ["kind", "paid_on", ("cancelled_at", admin.EmptyFieldListFilter)]
    search_fields = ["funding_amount__line__label"]
    list_select_related = ["funding_amount__line"]
    autocomplete_fields = ["funding_amount"]
    readonly_fields = ["cancelled_at", "cancelled_by", "cancel_reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_cancelled:  # kept as it was cancelled
            return ["funding_amount", "amount", "paid_on", "kind", "note", *self.readonly_fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        # As in the portal: a change moves the version (see FundingAmountAdmin.save_formset).
        if change and form.has_changed():
            obj.version += 1
        super().save_model(request, obj, form, change)
