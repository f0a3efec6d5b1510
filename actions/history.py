"""The history of a fiche action, told as sentences a coordinator understands.

"Statut : à lancer → en cours, par Camille Coordinatrice, le 12/03/2024 à 10 h 05".
Built from django-simple-history's records of the sheet (with the rows of its links), its
steps and its indicators, in a fixed number of queries whatever the number of records.
"""

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ctg_portal.formatting import (
    DASH,
    LIST_SEPARATOR,
    display_name,
    format_measure,
    format_moment,
    format_number,
    format_percent,
    french_spacing,
)

from .models import LINK_FIELDS, ActionSheet, Indicator, Step, link_history_models

# Fields of the sheet its records hold but the history does not tell: they never change, or
# change with every save (the version).
BOOKKEEPING = {"id", "convention", "number", "version"}
RecordModel = ActionSheet.history.model
StepRecord = Step.history.model
IndicatorRecord = Indicator.history.model


def told_fields():
    """The sheet's fields the history tells, in the model's order: every field its records
    track, links included, but the bookkeeping ones. A new field is told without an edit here."""
    fields = [f for f in RecordModel.tracked_fields if f.editable and f.name not in BOOKKEEPING]
    fields += [ActionSheet._meta.get_field(name) for name in LINK_FIELDS]
    return sorted(fields, key=lambda f: f.creation_counter)


@dataclass(frozen=True)
class Link:
    """One link field of the sheet and the history table of its rows."""

    field: models.ManyToManyField

    @property
    def rows_model(self):
        return link_history_models()[self.field.name]

    @property
    def target(self):
        """The rows' field that points to the linked object (domain, user, partner)."""
        return self.field.m2m_reverse_field_name()

    def select(self):
        """SQL selecting (link, record id, name parts, position, object id) of every row of a
        sheet's records (%s: the sheet's id), objects deleted since left out."""
        rows = self.rows_model._meta
        related = self.field.related_model._meta
        target = rows.get_field(self.target).column
        if self.field.related_model is get_user_model():
            parts = "t.first_name, t.last_name, t.username"
        else:
            parts = "t.name, '', ''"
        position = "t.position" if any(f.name == "position" for f in related.fields) else "0"
        return (
            f"SELECT '{self.field.name}', r.history_id, {parts}, {position}, t.{related.pk.column} "
            f"FROM {rows.db_table} r "
            f"JOIN {related.db_table} t ON t.{related.pk.column} = r.{target} "
            f"JOIN {RecordModel._meta.db_table} h ON h.history_id = r.history_id "
            "WHERE h.id = %s"
        )

    def name(self, parts):
        if self.field.related_model is get_user_model():
            first_name, last_name, username = parts
            return display_name(
                get_user_model()(first_name=first_name, last_name=last_name, username=username)
            )
        return parts[0]


@functools.cache
def link_names_sql():
    """One UNION query over the link tables, its text built once (names from the models)."""
    return " UNION ALL ".join(link.select() for link in LINKS)


def link_names(sheet_id):
    """{(link name, record id): [names of the linked objects, in their model's order (else by
    name)]} for every record of the sheet, in one query whatever the number of records.

    Plain SQL: built with the ORM, the four-part union costs more to compile than the whole
    history takes to tell (the sheet page is built on every request)."""
    with connection.cursor() as cursor:
        cursor.execute(link_names_sql(), [sheet_id] * len(LINKS))
        rows = sorted(cursor.fetchall(), key=lambda r: (r[5], r[2], r[6]))
    names = {}
    by_name = {link.field.name: link for link in LINKS}
    for link_name, record_id, part_a, part_b, part_c, _place, _pk in rows:
        link = by_name[link_name]
        names.setdefault((link_name, record_id), []).append(link.name((part_a, part_b, part_c)))
    for link_name, record_id in names:
        if not by_name[link_name].field.related_model._meta.ordering:
            names[link_name, record_id].sort()
    return names


TOLD = told_fields()
LINKS = [Link(f) for f in TOLD if f.many_to_many]
SCALARS = [f.name for f in TOLD if not f.many_to_many]  # diffed by simple-history


def author_name(record):
    if record.history_user is None:
        return _("the system")
    return display_name(record.history_user)


@dataclass
class Change:
    label: str
    old: str = ""
    new: str = ""
    text: str = ""  # a whole sentence instead of old → new

    def __bool__(self):
        """A change tells something: a sentence, or a label with its values. An empty one is
        left out of its line, which never starts with the separator then ("; Domaines")."""
        return bool(self.text or self.label)


@dataclass
class Entry:
    when: datetime
    author: str
    changes: list = field(default_factory=list)
    reason: str = ""  # why, when the write said it (e.g. "décision du COPIL du 14/03/2025")

    def __post_init__(self):
        self.changes = [change for change in self.changes if change]

    def add(self, change):
        if change:
            self.changes.append(change)

    @property
    def moment(self):
        return format_moment(self.when)


class SheetHistory:
    def __init__(self, sheet):
        self.sheet = sheet
        self.names = {}  # foreign key name → {pk: name} of the objects the records mention

    def display(self, told, value):
        if value is None or value == "":
            return DASH
        if told.choices:
            return str(dict(told.flatchoices).get(value, value))
        if told.name == "progress":
            return format_percent(value)
        if told.many_to_one:
            return self.names[told.name].get(value, "?")
        if isinstance(value, datetime):
            return format_moment(value)
        if isinstance(value, date):
            return date_format(value, "d/m/Y")
        if isinstance(value, Decimal):
            return format_number(value)
        return str(value)

    def sheet_changes(self, old, new):
        """What changed from record `old` to record `new`, in the order of the model's fields."""
        # simple-history's diff_against, for the fields of the record itself: on links it
        # would query their tables for every pair of records; their rows are prefetched here.
        delta = new.diff_against(old, included_fields=SCALARS)
        changed = {c.field: (c.old, c.new) for c in delta.changes}
        for link in LINKS:
            name = link.field.name
            before = self.links.get((name, old.history_id), [])
            after = self.links.get((name, new.history_id), [])
            if before != after:
                changed[link.field.name] = (before, after)
        changes = []
        for told in TOLD:
            if told.name not in changed:
                continue
            before, after = changed[told.name]
            label = capfirst(told.verbose_name)
            if told.many_to_many:
                changes.append(Change(label, ", ".join(before) or DASH, ", ".join(after) or DASH))
            elif told.name == "archived_at":
                text = _("Sheet archived") if after else _("Sheet restored")
                changes.append(Change(label, text=text))
            elif isinstance(told, models.TextField):
                text = french_spacing(_("%(field)s: text changed")) % {"field": label}
                changes.append(Change(label, text=text))
            else:
                old_text, new_text = self.display(told, before), self.display(told, after)
                if old_text != new_text:  # else a change the page could not tell apart
                    changes.append(Change(label, old_text, new_text))
        return changes

    def load_names(self, records):
        """Names of the objects the records' foreign keys point to. Most sheets never changed
        them, and the sheet at hand already holds the current ones: no query then."""
        for told in TOLD:
            if not told.many_to_one:
                continue
            ids = {getattr(r, told.attname) for r in records} - {None}
            current = getattr(self.sheet, told.attname)
            if ids <= {current}:
                self.names[told.name] = (
                    {current: str(getattr(self.sheet, told.name))} if ids else {}
                )
            else:
                objects = told.related_model._default_manager.in_bulk(ids)
                self.names[told.name] = {pk: str(obj) for pk, obj in objects.items()}

    def entries(self):
        """Every change to the sheet, its steps and indicators, newest first."""
        records = list(
            RecordModel.objects.filter(id=self.sheet.pk)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        )
        self.load_names(records)
        self.links = link_names(self.sheet.pk) if len(records) > 1 else {}
        entries = []
        previous = None
        for record in records:
            if previous is None:
                entry = Entry(record.history_date, author_name(record))
                entry.add(Change("", text=_("Sheet created")))
            else:
                changes = self.sheet_changes(previous, record)
                entry = Entry(
                    record.history_date,
                    author_name(record),
                    changes,
                    record.history_change_reason or "",
                )
            previous = record
            if entry.changes:
                entries.append(entry)
        entries += self.child_entries(
            StepRecord.objects.filter(sheet_id=self.sheet.pk),
            {"+": _("Step “%(name)s” added"), "-": _("Step “%(name)s” removed")},
            self.step_change,
        )
        entries += self.child_entries(
            IndicatorRecord.objects.filter(sheet_id=self.sheet.pk),
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
                "date": date_format(new.due_on, "d/m/Y") if new.due_on else DASH,
            }
        return None

    def indicator_change(self, old, new, name):
        fields = ("label", "unit", "kind", "baseline", "baseline_date", "baseline_source")
        fields += ("target", "decimals")
        targets = target_changes(old, new)
        if any(getattr(old, f) != getattr(new, f) for f in fields):
            sentence = _("Indicator “%(name)s” changed (baseline %(baseline)s, target %(target)s)")
            text = french_spacing(sentence) % {
                "name": name,
                "baseline": format_measure(new.baseline, new.decimals),
                "target": format_measure(new.target, new.decimals),
            }
            return LIST_SEPARATOR.join([text, targets]) if targets else text
        if targets:
            sentence = _("Indicator “%(name)s” changed (%(targets)s)")
            return sentence % {"name": name, "targets": targets}
        return None


def target_changes(old, new):
    """The yearly targets changed from record `old` to `new`, told one by one:
    "cible 2024 : 120 → 150 ; cible 2025 : — → 80" ("" when none changed)."""
    before, after = old.yearly_targets or {}, new.yearly_targets or {}
    changes = []
    for year in sorted(set(before) | set(after)):
        was, now = as_decimal(before.get(year)), as_decimal(after.get(year))
        if was != now:
            changes.append(
                french_spacing(_("target %(year)s: %(old)s → %(new)s"))
                % {
                    "year": year,
                    "old": format_measure(was, new.decimals),
                    "new": format_measure(now, new.decimals),
                }
            )
    return LIST_SEPARATOR.join(changes)


def as_decimal(value):
    return None if value in (None, "") else Decimal(str(value))
