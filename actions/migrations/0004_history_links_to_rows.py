"""Move the names the sheet's history kept in `links` (JSON) into the link history tables.

Each name is matched to an object of today within the sheet's convention: a domain of the
convention; a partner or commune that signed it, belongs to a signing EPCI or is linked to one
of its sheets; a pilot among its members and the pilots of its sheets, by the name the portal
shows (full name, else username). A name found nowhere there is matched in the whole table
when it is unique in it, else dropped (the object was deleted or renamed since). Plain ORM
queries: the same on SQLite and PostgreSQL.
"""

from django.conf import settings
from django.db import migrations
from django.db.models import Q

LINKS = {
    # link field: (model of the linked objects, field of the history rows pointing to it)
    "domains": (("conventions", "Domain"), "domain"),
    "pilots": (settings.AUTH_USER_MODEL.split("."), "user"),
    "partners": (("conventions", "Partner"), "partner"),
    "communes": (("conventions", "Partner"), "partner"),
}
BATCH = 1000


def person(user):
    return f"{user.first_name} {user.last_name}".strip() or user.username


class Names:
    """Name → primary key of the objects a convention's sheets may link to, per link field."""

    def __init__(self, apps):
        self.apps = apps
        self.domain = apps.get_model("conventions", "Domain")
        self.partner = apps.get_model("conventions", "Partner")
        self.user = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
        self.sheet = apps.get_model("actions", "ActionSheet")
        self.by_convention = {}
        self.unique = {
            "domains": {},  # a domain belongs to one convention: no match elsewhere
            "pilots": unique_names((person(u), u.pk) for u in self.user.objects.all()),
            "partners": unique_names(self.partner.objects.values_list("name", "pk")),
            "communes": unique_names(
                self.partner.objects.filter(kind="commune").values_list("name", "pk")
            ),
        }

    def match(self, convention_id, field, name):
        if convention_id not in self.by_convention:
            self.by_convention[convention_id] = self.load(convention_id)
        found = self.by_convention[convention_id][field].get(name)
        return found if found is not None else self.unique[field].get(name)

    def load(self, convention_id):
        sheets = self.sheet.objects.filter(convention_id=convention_id)
        signed = Q(signatures__convention_id=convention_id)
        partners = self.partner.objects.filter(
            signed
            | Q(epci__signatures__convention_id=convention_id)
            | Q(led_action_sheets__in=sheets)
            | Q(partner_action_sheets__in=sheets)
            | Q(commune_action_sheets__in=sheets)
        ).distinct()
        users = self.user.objects.filter(
            Q(memberships__convention_id=convention_id) | Q(piloted_sheets__in=sheets)
        ).distinct()
        return {
            "domains": first_names(
                self.domain.objects.filter(convention_id=convention_id).values_list("name", "pk")
            ),
            "pilots": first_names((person(u), u.pk) for u in users.order_by("pk")),
            "partners": first_names(partners.order_by("pk").values_list("name", "pk")),
            "communes": first_names(
                partners.filter(kind="commune").order_by("pk").values_list("name", "pk")
            ),
        }


def first_names(pairs):
    """{name: pk}, the first object of a name winning."""
    names = {}
    for name, pk in pairs:
        names.setdefault(name, pk)
    return names


def unique_names(pairs):
    """{name: pk} of the names that only one object bears."""
    names, seen = {}, set()
    for name, pk in pairs:
        if name in seen:
            names.pop(name, None)
        else:
            names[name] = pk
            seen.add(name)
    return names


def links_to_rows(apps, schema_editor):
    Record = apps.get_model("actions", "HistoricalActionSheet")
    Sheet = apps.get_model("actions", "ActionSheet")
    names = Names(apps)
    for field, (_model, target) in LINKS.items():
        Rows = apps.get_model("actions", f"HistoricalActionSheet_{field}")
        through = getattr(Sheet, field).through
        # The id of the link row of today, when the link still exists (simple-history copies
        # it); 0 for a link gone since, of which nothing reads the id.
        link_ids = {
            (sheet_id, target_id): pk
            for pk, sheet_id, target_id in through.objects.values_list(
                "pk", "actionsheet_id", f"{target}_id"
            )
        }
        rows = []
        records = Record.objects.order_by("history_id")
        for record in records.values("history_id", "id", "convention_id", "links").iterator():
            for name in (record["links"] or {}).get(field, []):
                pk = names.match(record["convention_id"], field, name)
                if pk is None:
                    continue
                rows.append(
                    Rows(
                        history_id=record["history_id"],
                        actionsheet_id=record["id"],
                        **{f"{target}_id": pk},
                        id=link_ids.get((record["id"], pk), 0),
                    )
                )
            if len(rows) >= BATCH:
                Rows.objects.bulk_create(rows)
                rows = []
        Rows.objects.bulk_create(rows)


def rows_to_links(apps, schema_editor):
    """Back to `links`: the names of the linked objects of today, as the JSON kept them."""
    Record = apps.get_model("actions", "HistoricalActionSheet")
    links = {}
    for field, (model, target) in LINKS.items():
        Rows = apps.get_model("actions", f"HistoricalActionSheet_{field}")
        related = apps.get_model(*model)
        objects = related.objects.in_bulk(
            set(Rows.objects.values_list(f"{target}_id", flat=True)) - {None}
        )
        for history_id, target_id in Rows.objects.values_list("history_id", f"{target}_id"):
            obj = objects.get(target_id)
            if obj is not None:
                links.setdefault(history_id, {n: [] for n in LINKS})[field].append(obj)
    for history_id, fields in links.items():
        value = {
            "domains": [
                d.name for d in sorted(fields["domains"], key=lambda d: (d.position, d.pk))
            ],
            "pilots": sorted(person(u) for u in fields["pilots"]),
            "partners": sorted(p.name for p in fields["partners"]),
            "communes": sorted(p.name for p in fields["communes"]),
        }
        Record.objects.filter(history_id=history_id).update(links=value)


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0003_history_link_tables"),
        ("conventions", "0004_remove_convention_data_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(links_to_rows, rows_to_links)]
