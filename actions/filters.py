"""The filters of the sheet list. They live in the query string, so a view can be shared."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from conventions.models import Domain, StrategicObjective
from ctg_portal.fields import SafeModelChoiceField
from ctg_portal.formatting import display_name
from ctg_portal.text import search_key
from ctg_portal.validators import CONTROL_CHARACTERS

from . import queries
from .forms import convention_members
from .models import ActionSheet
from .queries import person_name

SORTS = {
    "number": ["number"],
    "progress": ["progress", "number"],
    "-progress": ["-progress", "number"],
    "end": [("planned_end", "asc"), "number"],
    "-end": [("planned_end", "desc"), "number"],
}


def objective_label(number, title):
    return f"{number}. {title[:70]}{'…' if len(title) > 70 else ''}"


class ObjectiveChoiceField(SafeModelChoiceField):
    def label_from_instance(self, obj):
        return objective_label(obj.number, obj.title)


class PilotChoiceField(SafeModelChoiceField):
    def label_from_instance(self, obj):
        return display_name(obj)


class SearchField(forms.CharField):
    """A search text with its control characters (NUL, ESC…) left out, before Django's own
    validators refuse a NUL: a link or a paste holding one searches for the rest, never a
    500, and the box shows the text searched."""

    def to_python(self, value):
        return CONTROL_CHARACTERS.sub("", super().to_python(value))

    def bound_data(self, data, initial):
        data = super().bound_data(data, initial)
        return CONTROL_CHARACTERS.sub("", data) if isinstance(data, str) else data


class SheetFilterForm(forms.Form):
    """Field names are the query string's parameters, in French like the URLs."""

    q = SearchField(label=_("Search"), required=False, max_length=200)
    objectif = ObjectiveChoiceField(
        label=_("Objective"),
        queryset=StrategicObjective.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    domaine = SafeModelChoiceField(
        label=_("Domain"),
        queryset=Domain.objects.none(),
        required=False,
        empty_label=_("All"),
        to_field_name="pk",
    )
    statut = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), *ActionSheet.Status.choices],
        required=False,
    )
    pilote = PilotChoiceField(
        label=_("Pilot"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("All"),
    )
    priorite = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("All")), *ActionSheet.Priority.choices],
        required=False,
    )
    retard = forms.BooleanField(label=_("Late only"), required=False)
    tri = forms.ChoiceField(
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
        # The models order by convention first: within one, that only adds a join.
        self.fields["objectif"].queryset = convention.objectives.order_by("number")
        self.fields["domaine"].queryset = convention.domains.order_by("position", "pk")
        self.fields["pilote"].queryset = (
            convention_members(convention).filter(piloted_sheets__convention=convention).distinct()
        )
        # The querysets check the values sent; the options shown come from one query for the
        # three fields (the same rows, in the same order, with the same labels).
        rows = queries.filter_choices(convention)
        options = {
            "objectif": [
                (pk, objective_label(number, title)) for pk, number, title in rows["objectif"]
            ],
            "domaine": rows["domaine"],
            "pilote": [(pk, person_name(*names)) for pk, *names in rows["pilote"]],
        }
        for name, choices in options.items():
            self.fields[name].choices = [("", self.fields[name].empty_label), *choices]

    @property
    def active(self):
        """True when at least one filter narrows the list."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return any(
            data.get(k)
            for k in ("q", "objectif", "domaine", "statut", "pilote", "priorite", "retard")
        )

    @property
    def late_only(self):
        """True when the list keeps late sheets only (the queryset needs their lateness)."""
        self.is_valid()
        return bool(getattr(self, "cleaned_data", {}).get("retard"))

    def filter(self, queryset):
        """Apply the valid filters; an invalid value (a stale link) is ignored, never a 500."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("q"):
            # Each word, accents and case left out, in the title, description, goals or
            # publics (ActionSheet.search_text): "numerique" finds "numérique".
            for word in search_key(data["q"]).split():
                queryset = queryset.filter(search_text__contains=word)
        if data.get("objectif"):
            queryset = queryset.filter(objective=data["objectif"])
        if data.get("domaine"):
            queryset = queryset.filter(domains=data["domaine"])
        if data.get("statut"):
            queryset = queryset.filter(status=data["statut"])
        if data.get("pilote"):
            queryset = queryset.filter(pilots=data["pilote"])
        if data.get("priorite"):
            queryset = queryset.filter(priority=data["priorite"])
        if data.get("retard"):
            queryset = queryset.filter(is_late=True)
        order = []
        for key in SORTS[data.get("tri") or "number"]:
            if isinstance(key, tuple):
                name, direction = key
                key = getattr(F(name), direction)(nulls_last=True)
            order.append(key)
        return queryset.order_by(*order)
