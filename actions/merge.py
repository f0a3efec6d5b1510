"""Three-way merge of a fiche action's edit form: what the user changed, what others saved.

The edit form carries, signed, the state of the sheet it was opened on (the *base*: fields,
links, steps, indicators). When its save meets a newer version (someone else saved meanwhile),
the portal compares, field by field and row by row, the base, the current sheet (*theirs*) and
the user's input (*mine*):

- what only the colleague changed is kept, what only the user changed is applied;
- links (domains, pilots, partners, communes) merge item by item: each side's additions and
  removals are applied;
- a step or indicator deleted on one side and changed on the other is kept with the change
  (nothing is lost; it can be deleted again);
- an indicator's target of each year is one value of its row ("target_2024"), merged like
  its other fields;
- what both changed, differently, is a *conflict*: shown side by side with the colleague's
  value and who saved it when, for the user to choose.

A state is plain JSON (ids, ISO dates, decimals as text), so that it can travel in the form.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ctg_portal.formatting import DASH, display_name, format_moment, format_number

from .history import author_name
from .models import LINK_FIELDS, ActionSheet, Indicator, Step, target_text

# The fields of the edit form that a merge compares; the number never changes once created.
SHEET_FIELDS = [
    "title",
    "objective",
    "status",
    "priority",
    "progress",
    "planned_start",
    "planned_end",
    "description",
    "goals",
    "target_publics",
    "lead_partner",
    "elected_referent",
]
ROWS = {
    "steps": (Step, ["title", "due_on", "done_on"]),
    "indicators": (
        Indicator,
        [
            *("label", "unit", "kind", "decimals"),
            *("baseline", "baseline_date", "baseline_source", "target"),
        ],
    ),
}
SALT = "actions.merge.base"
# An indicator's target for one year, as its form names the input and a merge state the value
# ("target_2024"): the JSON of `Indicator.yearly_targets`, one value per year.
TARGET_PREFIX = "target_"


def target_name(year: int | str) -> str:
    return f"{TARGET_PREFIX}{year}"


def target_year(name: str) -> int | None:
    """The year of a yearly target's name, None for another name."""
    year = name.removeprefix(TARGET_PREFIX)
    return int(year) if year != name and len(year) == 4 and year.isdigit() else None


def target_years(convention, indicators) -> list[int]:
    """The years an indicator form shows a target for: the convention's period, and any other
    year one of `indicators` holds a target for (the period was shortened since: shown, so that
    it can be emptied; Indicator.clean refuses it)."""
    years = set(convention.years)
    for indicator in indicators:
        years.update(target_years_of((), indicator.yearly_targets or {}))
    return sorted(years)


def target_years_of(years, targets: dict[str, Any]) -> list[int]:
    """`years` and the years of `targets` (an indicator's yearly_targets), in order."""
    return sorted(set(years) | {int(year) for year in targets if str(year).isdigit()})


def row_names(section: str, years: list[int]) -> list[str]:
    """The names a merge compares for the rows of `section`."""
    names = ROWS[section][1]
    if section == "indicators":
        names = names + [target_name(year) for year in years]
    return names


def normalise(value: Any) -> Any:
    """A value as the merge compares it and JSON holds it."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, str):
        # Browsers send text areas with CRLF; forms strip the ends.
        return value.replace("\r\n", "\n").strip()
    if isinstance(value, list | tuple | set | models.QuerySet):
        return sorted(normalise(item) for item in value)
    return value


def row_state(row: models.Model, names: list[str]) -> dict[str, Any]:
    state = {}
    for name in names:
        year = target_year(name)
        if year is None:
            state[name] = normalise(getattr(row, row._meta.get_field(name).attname))
        else:
            value = (getattr(row, "yearly_targets", None) or {}).get(str(year))
            state[name] = None if value is None else target_text(value)
    return state


def state_of(sheet: ActionSheet) -> dict[str, Any]:
    """The sheet as its edit form shows it, as stored now."""
    state: dict[str, Any] = {
        "sheet_id": sheet.pk,
        "version": sheet.version,
        "fields": row_state(sheet, SHEET_FIELDS),
        "links": {
            name: normalise(getattr(sheet, name).values_list("pk", flat=True))
            for name in LINK_FIELDS
        },
    }
    for section, (model, _names) in ROWS.items():
        rows = list(model.objects.filter(sheet=sheet).order_by(*model._meta.ordering))
        years = target_years(sheet.convention, rows) if section == "indicators" else []
        names = row_names(section, years)
        state[section] = {str(row.pk): row_state(row, names) for row in rows}
    return state


def state_of_forms(form, formsets: dict[str, Any]) -> dict[str, Any]:
    """The user's input (valid forms): fields, links, existing rows (id → values, or None when
    deleted) and new rows."""
    data = form.cleaned_data
    state: dict[str, Any] = {
        "fields": {name: normalise(data.get(name)) for name in SHEET_FIELDS},
        "links": {name: normalise(data.get(name) or []) for name in LINK_FIELDS},
    }
    for section, formset in formsets.items():
        years = sorted({year for row_form in formset.forms for year in row_form_years(row_form)})
        names = row_names(section, years)
        existing: dict[str, Any] = {}
        new = []
        for row_form in formset.forms:
            cleaned = getattr(row_form, "cleaned_data", None) or {}
            instance = cleaned.get("id")
            values = {name: normalise(cleaned.get(name)) for name in names}
            if instance is not None:
                existing[str(instance.pk)] = None if cleaned.get("DELETE") else values
            elif row_form.has_changed() and not cleaned.get("DELETE"):
                new.append(values)
        state[section] = existing
        state[f"new_{section}"] = new
    return state


def row_form_years(row_form) -> list[int]:
    """The years a row's form shows a target for (none but an indicator's)."""
    return list(getattr(row_form, "years", []))


def sign(state: dict[str, Any], pending: list[dict[str, Any]] | None = None) -> str:
    return signing.dumps({**state, "pending": pending or []}, salt=SALT, compress=True)


def unsign(token: str | None, sheet: ActionSheet) -> dict[str, Any] | None:
    """The base a form carried, or None when missing, forged or of another sheet."""
    if not token:
        return None
    try:
        state = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(state, dict) or state.get("sheet_id") != sheet.pk:
        return None
    return state


@dataclass
class Conflict:
    """One value both sides changed, differently."""

    key: str  # "fields.progress", "links.pilots", "steps.12.title"
    theirs: Any
    mine: Any
    author: str = ""
    moment: str = ""
    label: str = ""
    theirs_text: str = ""
    mine_text: str = ""

    @property
    def section(self) -> str:
        return self.key.split(".")[0]

    @property
    def row(self) -> str | None:
        parts = self.key.split(".")
        return parts[1] if len(parts) == 3 else None

    @property
    def name(self) -> str:
        return self.key.split(".")[-1]


@dataclass
class Merge:
    fields: dict[str, Any]
    links: dict[str, list]
    rows: dict[str, list[dict[str, Any]]]  # per section: rows with "id" (None when new)
    deleted: dict[str, list[str]]  # per section: ids to delete
    conflicts: list[Conflict] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # keys of the colleague's changes kept
    revived: list[str] = field(default_factory=list)  # rows kept although deleted on one side


UNKNOWN = object()


def pick(base: Any, theirs: Any, mine: Any) -> tuple[Any, bool]:
    """The merged value and whether it is a conflict (then `mine`, for the user to confirm)."""
    if mine == theirs:
        return mine, False
    if base is UNKNOWN:
        return mine, True
    if mine == base:
        return theirs, False
    if theirs == base:
        return mine, False
    return mine, True


def merge(base: dict[str, Any] | None, theirs: dict[str, Any], mine: dict[str, Any]) -> Merge:
    known = base is not None
    base = base or {}
    result = Merge(fields={}, links={}, rows={}, deleted={})
    for name in SHEET_FIELDS:
        old = base.get("fields", {}).get(name, UNKNOWN) if known else UNKNOWN
        value, clash = pick(old, theirs["fields"][name], mine["fields"][name])
        result.fields[name] = value
        if clash:
            result.conflicts.append(
                Conflict(f"fields.{name}", theirs["fields"][name], mine["fields"][name])
            )
        elif old is not UNKNOWN and theirs["fields"][name] != old:
            result.kept.append(f"fields.{name}")
    for name in LINK_FIELDS:
        current, wanted = theirs["links"][name], mine["links"][name]
        if known and name in base.get("links", {}):
            old = set(base["links"][name])
            merged = (set(current) | (set(wanted) - old)) - (old - set(wanted))
            result.links[name] = sorted(merged)
            if set(current) != old:
                result.kept.append(f"links.{name}")
        else:
            value, clash = pick(UNKNOWN, current, wanted)
            result.links[name] = value
            if clash:
                result.conflicts.append(Conflict(f"links.{name}", current, wanted))
    for section in ROWS:
        names = section_names(section, theirs, mine)
        merge_rows(result, section, names, base.get(section) if known else None, theirs, mine)
    return result


def section_names(section: str, *states: dict[str, Any]) -> list[str]:
    """The names the rows of `section` hold in the states: the section's fields, and the
    yearly targets either side shows (the years of the period, and any other one stored)."""
    years = set()
    for state in states:
        rows = [*state.get(section, {}).values(), *state.get(f"new_{section}", [])]
        for row in rows:
            years.update(year for name in row or {} if (year := target_year(name)) is not None)
    return row_names(section, sorted(years))


def merge_rows(result, section, names, base_rows, theirs, mine):
    current, posted = theirs[section], mine[section]
    rows, deleted = [], []
    for row_id, theirs_row in current.items():
        base_row = base_rows.get(row_id, UNKNOWN) if base_rows is not None else UNKNOWN
        if row_id not in posted:  # a row the user never saw: theirs
            rows.append({"id": row_id, **theirs_row})
            continue
        mine_row = posted[row_id]
        if mine_row is None:  # deleted by the user
            if base_row is not UNKNOWN and theirs_row == base_row:
                deleted.append(row_id)
            else:  # changed meanwhile by the colleague: kept
                rows.append({"id": row_id, **theirs_row})
                result.revived.append(f"{section}.{row_id}")
            continue
        merged = {"id": row_id}
        for name in names:
            old = base_row.get(name, UNKNOWN) if base_row is not UNKNOWN else UNKNOWN
            theirs_value, mine_value = theirs_row.get(name), mine_row.get(name)
            value, clash = pick(old, theirs_value, mine_value)
            merged[name] = value
            key = f"{section}.{row_id}.{name}"
            if clash:
                result.conflicts.append(Conflict(key, theirs_value, mine_value))
            elif old is not UNKNOWN and theirs_value != old:
                result.kept.append(key)
        rows.append(merged)
    for row_id, mine_row in posted.items():
        if row_id in current or mine_row is None:
            continue
        # Deleted by the colleague: gone, unless the user changed it (then kept, as a new row).
        base_row = base_rows.get(row_id) if base_rows is not None else None
        if base_row is None or mine_row != base_row:
            rows.append({"id": None, **mine_row})
            result.revived.append(f"{section}.{row_id}")
    rows.extend({"id": None, **row} for row in mine.get(f"new_{section}", []))
    result.rows[section] = rows
    result.deleted[section] = deleted


def attribute(conflicts: list[Conflict], sheet: ActionSheet, base_version: int | None) -> None:
    """Name, for each conflict, who saved the colleague's value and when."""
    records = list(
        sheet.history.filter(version__gt=base_version or 0)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:50]
    )
    before = (
        sheet.history.filter(version=base_version).order_by("-history_date").first()
        if base_version
        else None
    )
    chain = records + ([before] if before else [])
    for conflict in conflicts:
        record = None
        if conflict.section == "fields":
            attname = ActionSheet._meta.get_field(conflict.name).attname
            for newer, older in zip(chain, [*chain[1:], None], strict=True):
                if older is None or normalise(getattr(newer, attname)) != normalise(
                    getattr(older, attname)
                ):
                    record = newer
                    break
        elif conflict.section in ROWS:
            model = ROWS[conflict.section][0]
            record = (
                model.history.filter(id=conflict.row)
                .select_related("history_user")
                .order_by("-history_date")
                .first()
            )
        record = record or (records[0] if records else None)
        if record is not None:
            conflict.author = author_name(record)
            conflict.moment = format_moment(record.history_date)


def describe(conflicts: list[Conflict], theirs: dict[str, Any]) -> None:
    """Label each conflict and tell both values as the sheet page would."""
    for conflict in conflicts:
        if conflict.section in ROWS:
            model = ROWS[conflict.section][0]
            row = theirs[conflict.section].get(conflict.row, {})
            title = row.get("title") or row.get("label") or ""
            year = target_year(conflict.name)
            if year is not None:
                conflict.label = f"{capfirst(model._meta.verbose_name)} « {title} » : " + _(
                    "target %(year)s"
                ) % {"year": year}
                conflict.theirs_text = show_target(conflict.theirs)
                conflict.mine_text = show_target(conflict.mine)
                continue
            model_field = model._meta.get_field(conflict.name)
            conflict.label = (
                f"{capfirst(model._meta.verbose_name)} « {title} » : {model_field.verbose_name}"
            )
        else:
            model_field = ActionSheet._meta.get_field(conflict.name)
            conflict.label = str(capfirst(model_field.verbose_name))
        conflict.theirs_text = show(model_field, conflict.theirs)
        conflict.mine_text = show(model_field, conflict.mine)


def show_target(value) -> str:
    return DASH if value in (None, "") else format_number(Decimal(value))


def show(model_field, value) -> str:
    if value in (None, "", []):
        return DASH
    if model_field.many_to_many:
        objects = model_field.related_model.objects.filter(pk__in=value)
        if model_field.related_model is get_user_model():
            return ", ".join(sorted(display_name(user) for user in objects))
        return ", ".join(sorted(str(item) for item in objects))
    if model_field.is_relation:
        return str(model_field.related_model.objects.filter(pk=value).first() or DASH)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.DateField):
        return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
    if isinstance(model_field, models.DecimalField):
        return format_number(Decimal(value))
    if model_field.name == "progress":
        return f"{value}\u00a0%"
    return str(value)


def pending(conflicts: list[Conflict]) -> list[dict[str, Any]]:
    """The conflicts as the next form carries them (signed, with its base)."""
    return [asdict(conflict) for conflict in conflicts]


def from_pending(items: list[dict[str, Any]]) -> list[Conflict]:
    return [Conflict(**item) for item in items]


def kept_labels(result: Merge) -> list[str]:
    """The names of what the colleague changed and the merge kept, each once, in form order."""
    labels: list[str] = []
    for key in result.kept:
        section, *rest = key.split(".")
        if section in ROWS:
            label = capfirst(ROWS[section][0]._meta.verbose_name_plural)
        else:
            label = capfirst(ActionSheet._meta.get_field(rest[0]).verbose_name)
        if str(label) not in labels:
            labels.append(str(label))
    return labels
