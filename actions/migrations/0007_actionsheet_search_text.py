"""The sheets' search column (ctg_portal.text.SearchKeyField), filled for the existing sheets.

The sheets written from now on fill it themselves (the field's pre_save, in save() and
bulk_create alike). Plain ORM queries, the key computed in Python: the same on SQLite and
PostgreSQL.
"""

from django.db import migrations

import ctg_portal.text

BATCH = 500


def fill_search_text(apps, schema_editor):
    sheet_model = apps.get_model("actions", "ActionSheet")
    field = sheet_model._meta.get_field("search_text")
    manager = sheet_model._base_manager.db_manager(schema_editor.connection.alias)
    sheets = manager.order_by("pk")
    batch = []
    for sheet in sheets.only("pk", *field.sources).iterator(chunk_size=BATCH):
        sheet.search_text = field.key_of(sheet)
        batch.append(sheet)
        if len(batch) == BATCH:
            manager.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        manager.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0006_no_control_characters"),
    ]

    operations = [
        migrations.AddField(
            model_name="actionsheet",
            name="search_text",
            field=ctg_portal.text.SearchKeyField(
                sources=["title", "description", "goals", "target_publics"],
                verbose_name="search text",
            ),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop, elidable=True),
    ]
