"""The filters of the sheet list. They live in the query string, so a view can be shared."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from conventions.models import Domain, StrategicObjective
from ctg_portal.fields import SafeModelChoiceField

from .forms import convention_members, user_label
from .models import ActionSheet

SORTS = {
    "number": ["number"],
    "progress": ["progress", "number"],
    "-progress": ["-progress", "number"],
    "end": [("planned_end", "asc"), "number"],
    "-end": [("planned_end", "desc"), "number"],
}


class ObjectiveChoiceField(SafeModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.number}. {obj.title[:70]}{'…' if len(obj.title) > 70 else ''}"


class PilotChoiceField(SafeModelChoiceField):
    def label_from_instance(self, obj):
        return user_label(obj)


class SheetFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    objective = ObjectiveChoiceField(
        label=_("Objective"),
        queryset=StrategicObjective.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    domain = SafeModelChoiceField(
        label=_("Domain"),
        queryset=Domain.objects.none(),
        required=False,
        empty_label=_("All"),
        to_field_name="pk",
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), *ActionSheet.Status.choices],
        required=False,
    )
    pilot = PilotChoiceField(
        label=_("Pilot"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("All"),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("All")), *ActionSheet.Priority.choices],
        required=False,
    )
    late = forms.BooleanField(label=_("Late only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[
            ("number", _("number")),
            ("progress", _("progress, lowest first")),
            ("-progress", _("progress, highest first")),
            ("end", _("planned end, earliest first")),
            ("-end", _("planned end, latest first")),
        ],
        required=False,
    )

    def __init__(self, data, *, convention):
        super().__init__(data)
        self.fields["objective"].queryset = convention.objectives.all()
        self.fields["domain"].queryset = convention.domains.all()
        self.fields["pilot"].queryset = (
            convention_members(convention).filter(piloted_sheets__convention=convention).distinct()
        )

    @property
    def active(self):
        """True when at least one filter narrows the list."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return any(
            data.get(k) for k in ("q", "objective", "domain", "status", "pilot", "priority", "late")
        )

    def filter(self, queryset):
        """Apply the valid filters; an invalid value (a stale link) is ignored, never a 500."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("q"):
            words = data["q"].split()
            for word in words:
                queryset = queryset.filter(
                    Q(title__icontains=word) | Q(description__icontains=word)
                )
        if data.get("objective"):
            queryset = queryset.filter(objective=data["objective"])
        if data.get("domain"):
            queryset = queryset.filter(domains=data["domain"])
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("pilot"):
            queryset = queryset.filter(pilots=data["pilot"])
        if data.get("priority"):
            queryset = queryset.filter(priority=data["priority"])
        if data.get("late"):
            queryset = queryset.filter(is_late=True)
        order = []
        for key in SORTS[data.get("sort") or "number"]:
            if isinstance(key, tuple):
                name, direction = key
                key = getattr(F(name), direction)(nulls_last=True)
            order.append(key)
        return queryset.order_by(*order)
