"""The history of a fiche action, told as sentences a coordinator understands.

"Statut : à lancer → en cours, par Camille Coordinatrice, le 12/03/2024 à 10 h 05".
Built from django-simple-history's records of the sheet, its steps and its indicators in three
queries, whatever the number of records.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from conventions.models import Partner, StrategicObjective

from .models import ActionSheet, Indicator, Step

# Fields of the sheet worth telling, in the order of the form.
SHEET_FIELDS = [
    "title",
    "objective_id",
    "status",
    "priority",
    "progress",
    "planned_start",
    "planned_end",
    "description",
    "goals",
    "target_publics",
    "lead_partner_id",
    "elected_referent",
    "archived_at",
]
LINK_FIELDS = ["domains", "pilots", "partners", "communes"]
LONG_TEXT_FIELDS = {"description", "goals", "target_publics"}


def format_moment(moment):
    """12/03/2024 à 10 h 05, in the portal's time zone."""
    local = timezone.localtime(moment)
    return _("%(date)s at %(hour)s h %(minute)s") % {
        "date": local.strftime("%d/%m/%Y"),
        "hour": local.strftime("%H").lstrip("0") or "0",
        "minute": local.strftime("%M"),
    }


def author_name(record):
    user = record.history_user
    if user is None:
        return _("the system")
    return user.get_full_name() or user.username


@dataclass
class Change:
    label: str
    old: str = ""
    new: str = ""
    text: str = ""  # a whole sentence instead of old → new


@dataclass
class Entry:
    when: datetime
    author: str
    changes: list = field(default_factory=list)

    @property
    def moment(self):
        return format_moment(self.when)


class SheetHistory:
    def __init__(self, sheet):
        self.sheet = sheet
        self.objectives = None
        self.partners = None

    def display(self, name, value):
        if value is None or value == "":
            return "—"
        if name == "status":
            return ActionSheet.Status(value).label
        if name == "priority":
            return ActionSheet.Priority(value).label
        if name == "progress":
            return f"{value}\u00a0%"
        if name == "objective_id":
            return self.objectives.get(value, "?")
        if name == "lead_partner_id":
            return self.partners.get(value, "?")
        if name == "archived_at":
            return format_moment(value)
        if isinstance(value, date):
            return date_format(value, "d/m/Y")
        return str(value)

    def sheet_changes(self, old, new):
        changes = []
        for name in SHEET_FIELDS:
            before, after = getattr(old, name), getattr(new, name)
            if before == after:
                continue
            label = str(ActionSheet._meta.get_field(name.removesuffix("_id")).verbose_name)
            label = label[:1].upper() + label[1:]
            if name in LONG_TEXT_FIELDS:
                changes.append(Change(label, text=_("%(field)s: text changed") % {"field": label}))
            elif name == "archived_at":
                text = _("Sheet archived") if after else _("Sheet restored")
                changes.append(Change(label, text=text))
            else:
                changes.append(Change(label, self.display(name, before), self.display(name, after)))
        old_links, new_links = old.links or {}, new.links or {}
        for name in LINK_FIELDS:
            before, after = old_links.get(name, []), new_links.get(name, [])
            if before != after:
                label = str(ActionSheet._meta.get_field(name).verbose_name)
                label = label[:1].upper() + label[1:]
                changes.append(Change(label, ", ".join(before) or "—", ", ".join(after) or "—"))
        return changes

    def entries(self):
        """Every change to the sheet, its steps and indicators, newest first."""
        records = list(
            self.sheet.history.select_related("history_user").order_by("history_date", "pk")
        )
        # Names of the objectives and lead partners the records mention; most sheets never
        # changed them, and the sheet already holds the current ones.
        sheet = self.sheet
        ids = {r.objective_id for r in records}
        if ids <= {sheet.objective_id}:
            self.objectives = {sheet.objective_id: str(sheet.objective)}
        else:
            self.objectives = {o.pk: str(o) for o in StrategicObjective.objects.filter(pk__in=ids)}
        ids = {r.lead_partner_id for r in records if r.lead_partner_id}
        if ids <= {sheet.lead_partner_id}:
            self.partners = {sheet.lead_partner_id: sheet.lead_partner.name} if ids else {}
        else:
            self.partners = dict(Partner.objects.filter(pk__in=ids).values_list("pk", "name"))

        entries = []
        previous = None
        for record in records:
            if previous is None:
                entry = Entry(record.history_date, author_name(record))
                entry.changes.append(Change("", text=_("Sheet created")))
            else:
                changes = self.sheet_changes(previous, record)
                entry = Entry(record.history_date, author_name(record), changes)
            previous = record
            if entry.changes:
                entries.append(entry)
        entries += self.child_entries(
            Step.history.filter(sheet_id=self.sheet.pk),
            {"+": _("Step “%(name)s” added"), "-": _("Step “%(name)s” removed")},
            self.step_change,
        )
        entries += self.child_entries(
            Indicator.history.filter(sheet_id=self.sheet.pk),
            {"+": _("Indicator “%(name)s” added"), "-": _("Indicator “%(name)s” removed")},
            self.indicator_change,
        )
        entries.sort(key=lambda e: e.when, reverse=True)
        return entries

    def child_entries(self, queryset, sentences, describe):
        entries = []
        previous = {}
        for record in queryset.select_related("history_user").order_by("history_date", "pk"):
            old = previous.get(record.id)
            name = getattr(record, "title", None) or getattr(record, "label", "")
            if record.history_type in sentences:
                text = sentences[record.history_type] % {"name": name}
            else:
                text = describe(old, record, name) if old else None
            previous[record.id] = record
            if text:
                entries.append(
                    Entry(record.history_date, author_name(record), [Change("", text=text)])
                )
        return entries

    def step_change(self, old, new, name):
        if old.done_on is None and new.done_on is not None:
            return _("Step “%(name)s” done on %(date)s") % {
                "name": name,
                "date": date_format(new.done_on, "d/m/Y"),
            }
        if old.done_on is not None and new.done_on is None:
            return _("Step “%(name)s” reopened") % {"name": name}
        if (old.title, old.due_on) != (new.title, new.due_on):
            return _("Step “%(name)s” changed (due %(date)s)") % {
                "name": name,
                "date": date_format(new.due_on, "d/m/Y") if new.due_on else "—",
            }
        return None

    def indicator_change(self, old, new, name):
        fields = ("label", "unit", "kind", "baseline", "target")
        if any(getattr(old, f) != getattr(new, f) for f in fields):
            return _("Indicator “%(name)s” changed (baseline %(baseline)s, target %(target)s)") % {
                "name": name,
                "baseline": self.number(new.baseline),
                "target": self.number(new.target),
            }
        return None

    @staticmethod
    def number(value):
        if value is None:
            return "—"
        return f"{value.normalize():f}".replace(".", ",")
