"""What the sheet pages read, as queries: views call these and render, nothing more."""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import connection

from conventions.models import Challenge, Domain, Membership, Partner, StrategicObjective
from ctg_portal.formatting import LIST_SEPARATOR

from .models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step

PAGE_SIZE = 50

# The Bootstrap class of each status's badge, on the sheet list, the sheet page and the dashboard.
STATUS_BADGES = {
    ActionSheet.Status.TODO: "text-bg-secondary",
    ActionSheet.Status.IN_PROGRESS: "text-bg-primary",
    ActionSheet.Status.DONE: "text-bg-success",
    ActionSheet.Status.PAUSED: "text-bg-warning",
    ActionSheet.Status.BLOCKED: "text-bg-danger",
    ActionSheet.Status.ABANDONED: "text-bg-dark",
}


def person_name(first_name, last_name, username):
    """A person named as ctg_portal.formatting.display_name does, from the columns: the full
    name, else the username."""
    return f"{first_name} {last_name}".strip() or username


def with_status_badges(sheets):
    """The sheets as a list, each with `status_label` and `status_badge`: each label is
    translated once, not once per row (get_status_display rebuilds the choices each call)."""
    sheets = list(sheets)
    labels = {value: str(label) for value, label in ActionSheet.Status.choices}
    for sheet in sheets:
        sheet.status_label = labels.get(sheet.status, sheet.status)
        sheet.status_badge = STATUS_BADGES.get(sheet.status, "text-bg-dark")
    return sheets


def sheet_page_of_list(convention, filters, today, page_number):
    """One page of the convention's sheets (not archived), filtered and sorted by `filters`.

    Each sheet carries its status badge and `pilot_names`, the names of its pilots.
    """
    base = ActionSheet.objects.active().filter(convention=convention)
    sheets = base.with_lateness(today).with_next_step().select_related("objective")
    paginator = Paginator(filters.filter(sheets), PAGE_SIZE)
    # Counted without the annotations the rows show, unless a filter needs one: building them
    # costs the count three times as much.
    counted = base.with_lateness(today) if filters.late_only else base
    paginator.count = filters.filter(counted).count()
    page = paginator.get_page(page_number)
    page.object_list = with_status_badges(page.object_list)
    # The pilots' names read from the link table: a third of the cost of prefetch_related.
    names = defaultdict(list)
    pilots = ActionSheet.pilots.through.objects.filter(
        actionsheet__in=[sheet.pk for sheet in page.object_list]
    ).order_by("user_id")
    for sheet_id, first, last, username in pilots.values_list(
        "actionsheet_id", "user__first_name", "user__last_name", "user__username"
    ):
        names[sheet_id].append(person_name(first, last, username))
    for sheet in page.object_list:
        sheet.pilot_names = ", ".join(names[sheet.pk])
    return page


# The models' orderings start with the sheet, which orders by convention and number: for one
# sheet's rows that adds two joins to every query and changes nothing, so the order is given.


def steps_of(sheet, today):
    """The sheet's steps in order, each with `is_late`."""
    return list(
        Step.objects.filter(sheet=sheet).with_lateness(today).order_by("position", "due_on", "pk")
    )


def indicators_of(sheet):
    """The sheet's indicators, each with `value_list`, its values oldest first, and
    `year_list`, per year of the period its target and last value (Indicator.year_results).

    One query, the indicators joined to their values: prefetch_related takes two and costs
    twice as much.
    """
    fields = [
        *("label", "unit", "kind", "baseline", "baseline_date", "baseline_source"),
        *("target", "yearly_targets", "decimals"),
    ]
    value_fields = ["values__pk", "values__measured_on", "values__value", "values__comment"]
    rows = (
        Indicator.objects.filter(sheet=sheet)
        .order_by("pk", "values__measured_on")
        .values_list("pk", *fields, *value_fields)
    )
    indicators = {}
    for pk, *row in rows:
        indicator = indicators.get(pk)
        if indicator is None:
            values = dict(zip(fields, row[: len(fields)], strict=True))
            indicator = Indicator(pk=pk, sheet=sheet, **values)
            indicator.value_list = []
            indicators[pk] = indicator
        value_pk, measured_on, value, comment = row[len(fields) :]
        if value_pk is not None:
            indicator.value_list.append(
                IndicatorValue(
                    pk=value_pk,
                    indicator=indicator,
                    measured_on=measured_on,
                    value=value,
                    comment=comment,
                )
            )
    for indicator in indicators.values():
        indicator.year_list = indicator.year_results(indicator.value_list)
    return list(indicators.values())


def notes_of(sheet):
    return list(
        ProgressNote.objects.filter(sheet=sheet)
        .select_related("author")
        .order_by("-written_on", "-created_at")
    )


def link_table(model, name):
    """(table, column of `model`, column of the other side) of a many-to-many field."""
    field = model._meta.get_field(name)
    return field.m2m_db_table(), field.m2m_column_name(), field.m2m_reverse_name()


# The summary's lists: (kind, model and many-to-many field, target model, the columns read:
# text, first and last name, then two sort keys, literals or columns).
SUMMARY_LISTS = [
    (
        "challenges",
        StrategicObjective,
        "challenges",
        Challenge,
        ("title", "''", "''", "position", "id"),
    ),
    ("domains", ActionSheet, "domains", Domain, ("name", "''", "''", "position", "id")),
    ("partners", ActionSheet, "partners", Partner, ("name", "''", "''", "0", "0")),
    ("communes", ActionSheet, "communes", Partner, ("name", "''", "''", "0", "0")),
    ("pilots", ActionSheet, "pilots", None, ("username", "first_name", "last_name", "0", "id")),
]


def summary_sql():
    """The SQL of `summary_labels`, from the models' tables (no name written twice)."""
    quote = connection.ops.quote_name
    parts = []
    for kind, model, name, target, columns in SUMMARY_LISTS:
        target = target or get_user_model()  # None: the user model, known once apps are ready
        table, source, other = link_table(model, name)
        pk = quote(target._meta.pk.column)
        selected = ", ".join(f"t.{quote(c)}" if c.isidentifier() else c for c in columns)
        parts.append(
            f"SELECT '{kind}', {selected}, t.{pk} FROM {quote(target._meta.db_table)} t "
            f"INNER JOIN {quote(table)} l ON l.{quote(other)} = t.{pk} WHERE l.{quote(source)} = %s"
        )
    # By kind, then position and id (enjeux, domains), id (pilots), name (partners, communes).
    return " UNION ALL ".join(parts) + " ORDER BY 1, 5, 6, 2, 7"


def summary_labels(sheet):
    """The names the sheet's summary lists, each list joined for display: `challenges` (the
    enjeux its objective serves) and `domains` in the convention's order, `partners` and
    `communes` by name, `pilots` in the order of their accounts (as on the sheet list).

    One query in SQL: the same union built with the ORM (five annotated querysets) took 2 ms
    to compile on every request, more than every other query of the page together.
    """
    names = {kind: [] for kind in ("challenges", "domains", "partners", "communes", "pilots")}
    with connection.cursor() as cursor:
        cursor.execute(summary_sql(), [sheet.objective_id] + [sheet.pk] * 4)
        for kind, text, first, last, _rank, _tiebreak, _pk in cursor.fetchall():
            names[kind].append(person_name(first, last, text) if kind == "pilots" else text)
    return {
        kind: (LIST_SEPARATOR if kind == "challenges" else ", ").join(items)
        for kind, items in names.items()
    }


def filter_choices_sql():
    """The SQL of `filter_choices`, from the models' tables."""
    quote = connection.ops.quote_name
    objective, domain, sheet = StrategicObjective._meta, Domain._meta, ActionSheet._meta
    membership, user = Membership._meta, get_user_model()._meta
    pilots, pilots_sheet, pilots_user = link_table(ActionSheet, "pilots")

    def column(meta, name):
        return quote(meta.get_field(name).column)

    def table(meta):
        return quote(meta.db_table)

    uid = column(user, "id")
    return (
        f"SELECT 'objectif', o.{column(objective, 'id')}, o.{column(objective, 'number')}, "
        f"o.{column(objective, 'id')}, o.{column(objective, 'title')}, '', '' "
        f"FROM {table(objective)} o WHERE o.{column(objective, 'convention')} = %s "
        f"UNION ALL SELECT 'domaine', d.{column(domain, 'id')}, d.{column(domain, 'position')}, "
        f"d.{column(domain, 'id')}, d.{column(domain, 'name')}, '', '' "
        f"FROM {table(domain)} d WHERE d.{column(domain, 'convention')} = %s "
        # The members who pilot a sheet of the convention, as convention_members orders them.
        f"UNION ALL SELECT DISTINCT 'pilote', u.{uid}, 0, 0, u.{column(user, 'last_name')}, "
        f"u.{column(user, 'first_name')}, u.{column(user, 'username')} FROM {table(user)} u "
        f"INNER JOIN {table(membership)} m ON m.{column(membership, 'user')} = u.{uid} "
        f"INNER JOIN {quote(pilots)} p ON p.{quote(pilots_user)} = u.{uid} "
        f"INNER JOIN {table(sheet)} s ON s.{column(sheet, 'id')} = p.{quote(pilots_sheet)} "
        f"WHERE m.{column(membership, 'convention')} = %s AND s.{column(sheet, 'convention')} = %s "
        # By kind, then number (objectives), position and id (domains), last, first and user
        # name (pilots).
        "ORDER BY 1, 3, 4, 5, 6, 7, 2"
    )


def filter_choices(convention):
    """The rows the sheet list's filters offer, in one query: {"objectif": [(id, number,
    title)], "domaine": [(id, name)], "pilote": [(id, first name, last name, username)]}.

    In SQL for the same reason as `summary_labels`: three querysets of model choice fields
    cost the list page twice as much.
    """
    choices = {"objectif": [], "domaine": [], "pilote": []}
    with connection.cursor() as cursor:
        cursor.execute(filter_choices_sql(), [convention.pk] * 4)
        for kind, pk, number, _tiebreak, text, first, username in cursor.fetchall():
            if kind == "objectif":
                choices[kind].append((pk, number, text))
            elif kind == "domaine":
                choices[kind].append((pk, text))
            else:
                choices[kind].append((pk, first, text, username))
    return choices
