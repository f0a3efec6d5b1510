"""actions 0004: the names the sheet's history kept in JSON become simple-history's link rows."""

import datetime

import pytest
from django.utils import timezone

from .helpers import migrate_actions_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = "0002_historicalactionsheet_links"
AFTER = "0005_remove_historicalactionsheet_links"


def migrate(actions_migration=None):
    return migrate_actions_to(actions_migration)


@pytest.fixture
def latest_schema_afterwards():
    """The schema the other tests expect, whatever this one does or fails."""
    yield
    migrate()


def test_links_become_rows_then_the_column_goes(latest_schema_afterwards):
    apps = migrate(BEFORE)
    Convention = apps.get_model("conventions", "Convention")
    Partner = apps.get_model("conventions", "Partner")
    User = apps.get_model("auth", "User")
    convention, other = (
        Convention.objects.create(
            slug=slug, title=slug, territory="T", start_year=2023, end_year=2025
        )
        for slug in ("ctg", "autre")
    )
    domain = apps.get_model("conventions", "Domain").objects.create(
        convention=convention, name="Enfance"
    )
    apps.get_model("conventions", "Domain").objects.create(convention=other, name="Jeunesse")
    caf = Partner.objects.create(name="CAF du Tarn", kind="caf")
    apps.get_model("conventions", "Signatory").objects.create(convention=convention, partner=caf)
    Partner.objects.create(name="Albine", kind="commune")  # unique: matched outside the CTG
    camille = User.objects.create(username="camille", first_name="Camille", last_name="Martin")
    apps.get_model("conventions", "Membership").objects.create(
        user=camille, convention=convention, role="coordinator"
    )
    objective = apps.get_model("conventions", "StrategicObjective").objects.create(
        convention=convention, number=1, title="Objectif"
    )
    sheet = apps.get_model("actions", "ActionSheet").objects.create(
        convention=convention, number=1, title="Fiche", objective=objective
    )
    sheet.pilots.add(camille)
    Record = apps.get_model("actions", "HistoricalActionSheet")
    common = {
        "id": sheet.pk,
        "convention_id": convention.pk,
        "number": 1,
        "title": "Fiche",
        "objective_id": objective.pk,
        "status": "todo",
        "priority": "medium",
        "progress": 0,
        "version": 1,
        "history_type": "~",
    }
    moment = timezone.now() - datetime.timedelta(days=1)
    first = Record.objects.create(**common, history_date=moment, links={})
    second = Record.objects.create(
        **common,
        history_date=moment + datetime.timedelta(hours=1),
        links={
            "domains": ["Enfance", "Jeunesse"],  # Jeunesse: another convention's, dropped
            "pilots": ["Camille Martin", "Personne"],
            "partners": ["CAF du Tarn"],
            "communes": ["Albine"],
        },
    )

    apps = migrate(AFTER)
    assert "links" not in {
        f.name for f in apps.get_model("actions", "HistoricalActionSheet")._meta.fields
    }

    def rows(field, target):
        model = apps.get_model("actions", f"HistoricalActionSheet_{field}")
        return sorted(
            model.objects.values_list("history_id", f"{target}_id", "actionsheet_id", "id")
        )

    link_id = sheet.pilots.through.objects.get().pk
    assert rows("domains", "domain") == [(second.pk, domain.pk, sheet.pk, 0)]
    assert rows("pilots", "user") == [(second.pk, camille.pk, sheet.pk, link_id)]
    assert rows("partners", "partner") == [(second.pk, caf.pk, sheet.pk, 0)]
    albine = apps.get_model("conventions", "Partner").objects.get(name="Albine")
    assert rows("communes", "partner") == [(second.pk, albine.pk, sheet.pk, 0)]
    assert first.pk not in {r[0] for r in rows("domains", "domain")}

    # And back: the names of today in `links`.
    apps = migrate("0003_history_link_tables")
    record = apps.get_model("actions", "HistoricalActionSheet").objects.get(pk=second.pk)
    assert record.links == {
        "domains": ["Enfance"],
        "pilots": ["Camille Martin"],
        "partners": ["CAF du Tarn"],
        "communes": ["Albine"],
    }
