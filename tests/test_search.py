"""La recherche des fiches actions : sans accents ni casse, la même sur SQLite et PostgreSQL.

Chaque fiche garde la clé de recherche de ses textes (ActionSheet.search_text, calculée par
ctg_portal.text.search_key) ; la recherche compare la clé de ce qui est tapé. Toute écriture
la tient à jour : save(), bulk_create (jeu de données généré, restauration), loaddata, et la
migration pour les fiches d’avant.
"""

import datetime
import io
import json
import pathlib
import tempfile

import pytest
from django.core import serializers
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.history import SheetHistory
from actions.models import ActionSheet
from conventions.models import Convention
from ctg_portal.text import search_key
from operations.backup import delete_convention, export_convention, import_convention

from .factories import ActionSheetFactory
from .helpers import migrate_actions_to, sheet_edit_payload

SLUG = "thore-montagne-noire-2023-2025"
URL = reverse("actions:list", args=[SLUG])


def found(client, query):
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    return [sheet.number for sheet in response.context["page"]]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("numérique", "numerique"),
        ("NUMÉRIQUE", "numerique"),
        ("  Le   Numérique\u00a0au\u202fCœur\t", "le numerique au coeur"),
        ("ÉTÉ Œuvre Æsthète", "ete oeuvre aesthete"),
        ("l’enfance, l'enfance", "l'enfance, l'enfance"),
        ("Straße", "strasse"),
        ("ﬁche Ⅻ", "fiche xii"),
        ("İzmir", "izmir"),
        ("", ""),
    ],
)
def test_la_cle_de_recherche_oublie_accents_casse_et_espaces(text, key):
    assert search_key(text) == key
    assert search_key(key) == key  # une clé est sa propre clé


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["numerique", "NUMÉRIQUE", "numérique", "Numerique", "nUmÉrIqUe"])
def test_numerique_avec_ou_sans_accent_trouve_les_memes_fiches(client, coordinator, query):
    client.force_login(coordinator)
    assert found(client, query) == [12, 13]


@pytest.mark.django_db
def test_accents_ligatures_et_apostrophes_des_deux_cotes(client, coordinator, seeded):
    client.force_login(coordinator)
    # « Etudier » et « Elaborer » sans accent dans les titres 3, 6 et 12, « élaborer » dans le 15.
    assert found(client, "étudier") == [3, 12]
    assert found(client, "ETUDIER") == [3, 12]
    assert found(client, "Élaborer") == found(client, "elaborer") == [6, 15]
    # « l’opportunité » (apostrophe typographique) tapé avec l’apostrophe droite.
    assert found(client, "l'opportunite") == [11, 12]
    sheet = seeded.action_sheets.get(number=7)
    sheet.goals = "Remettre les familles au cœur du projet"
    sheet.save()
    assert found(client, "COEUR") == [7]
    assert found(client, "cœur projet") == [7]  # chaque mot, dans n’importe quel texte
    assert found(client, "coeur absent") == []


@pytest.mark.django_db
def test_titre_description_objectifs_et_publics_sont_cherches(client, coordinator, seeded):
    sheet = seeded.action_sheets.get(number=3)
    sheet.description = "Un état des lieux concerté"
    sheet.goals = "Une écoute renforcée"
    sheet.target_publics = "Adolescents isolés"
    sheet.save()
    client.force_login(coordinator)
    assert found(client, "etat des lieux concerte") == [3]
    assert found(client, "ecoute") == [3]
    assert found(client, "adolescents ISOLES") == [3]
    assert found(client, "100%_") == []  # les jokers de LIKE sont cherchés tels quels


@pytest.mark.django_db
def test_le_formulaire_tient_la_recherche_a_jour(client, coordinator, seeded):
    sheet = seeded.action_sheets.get(number=4)
    client.force_login(coordinator)
    response = client.post(
        reverse("actions:edit", args=[SLUG, 4]),
        sheet_edit_payload(sheet, title="Créer un Pôle Éducatif numérique"),
    )
    assert response.status_code == 302
    assert found(client, "pole educatif") == [4]
    assert found(client, "numerique") == [4, 12, 13]
    # Un enregistrement qui ne nomme que le titre met la recherche à jour avec lui.
    sheet.refresh_from_db()
    sheet.title = "Harmoniser l’offre périscolaire"
    sheet.save(update_fields=["title"])
    assert found(client, "pole educatif") == []
    assert found(client, "periscolaire") == [4]


@pytest.mark.django_db
def test_la_cle_n_entre_pas_dans_l_historique(client, coordinator, seeded):
    sheet = seeded.action_sheets.get(number=4)
    client.force_login(coordinator)
    client.post(
        reverse("actions:edit", args=[SLUG, 4]),
        sheet_edit_payload(sheet, title="Nouveau titre"),
    )
    assert "search_text" not in {f.name for f in ActionSheet.history.model._meta.fields}
    latest = SheetHistory(sheet).entries()[0]
    assert [(c.label, c.new) for c in latest.changes] == [("Titre", "Nouveau titre")]


@pytest.mark.django_db
def test_bulk_create_remplit_la_cle(seeded):
    """Le jeu de données généré et la restauration écrivent les fiches par bulk_create."""
    objective = seeded.objectives.first()
    ActionSheet.objects.bulk_create(
        [
            ActionSheet(convention=seeded, objective=objective, number=40, title="Écoles"),
            ActionSheet(
                convention=seeded, objective=objective, number=41, title="X", goals="Santé"
            ),
        ]
    )
    assert dict(
        seeded.action_sheets.filter(number__gte=40).values_list("number", "search_text")
    ) == {
        40: "ecoles",
        41: "x sante",
    }


@pytest.mark.django_db
def test_generate_dataset_cherche_sans_accent():
    from operations.management.commands.generate_dataset import generate

    generate(1, prefix="rech")
    sheet = ActionSheet.objects.order_by("pk").first()
    assert "generee" in sheet.search_text
    assert sheet.search_text == search_key(f"{sheet.title} {sheet.description}")


@pytest.mark.django_db
def test_loaddata_remplit_la_cle(seeded):
    sheet = seeded.action_sheets.get(number=4)
    data = json.loads(serializers.serialize("json", [sheet]))
    data[0]["fields"]["title"] = "Titre chargé par loaddata"
    del data[0]["fields"]["search_text"]  # une fixture écrite à la main l’omet
    path = pathlib.Path(tempfile.mkdtemp()) / "fiche.json"
    path.write_text(json.dumps(data))
    call_command("loaddata", str(path), stdout=io.StringIO())
    sheet.refresh_from_db()
    assert sheet.search_text.startswith("titre charge par loaddata")


@pytest.mark.django_db
def test_restauration_d_une_sauvegarde_sans_la_cle(client, coordinator, seeded):
    """Une sauvegarde écrite avant la colonne : les fiches restaurées se cherchent aussi."""
    data = json.loads(export_convention(seeded))
    for item in data["objects"]:
        if item["model"] == "actions.actionsheet":
            item["fields"].pop("search_text", None)
    delete_convention(seeded)
    import_convention(json.dumps(data))
    restored = Convention.objects.get(slug=SLUG)
    assert restored.action_sheets.get(number=12).search_text.startswith("etudier l'opportunite")
    client.force_login(coordinator)
    assert found(client, "numerique") == [12, 13]


@pytest.mark.django_db
def test_le_nombre_de_requetes_ne_change_pas(client, coordinator, seeded):
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as plain:
        client.get(URL)
    with CaptureQueriesContext(connection) as small:
        assert found(client, "numerique") == [12, 13]
    objective = seeded.objectives.first()
    for number in range(100, 400):
        ActionSheetFactory(
            convention=seeded, objective=objective, number=number, title=f"Fiche numérique {number}"
        )
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL, {"q": "NUMERIQUE"})
    assert response.context["page"].paginator.count == 302
    assert len(large) == len(small) == len(plain), [q["sql"] for q in large.captured_queries]


MIGRATION_BEFORE = "0006_no_control_characters"
MIGRATION_AFTER = "0007_actionsheet_search_text"


def migrate(actions_migration=None):
    return migrate_actions_to(actions_migration)


@pytest.fixture
def latest_schema_afterwards():
    """The schema the other tests expect, whatever this one does or fails."""
    yield
    migrate()


@pytest.mark.django_db(transaction=True)
def test_la_migration_remplit_la_cle_des_fiches_existantes(latest_schema_afterwards):
    apps = migrate(MIGRATION_BEFORE)
    convention = apps.get_model("conventions", "Convention").objects.create(
        slug="ctg", title="CTG", territory="T", start_year=2023, end_year=2025
    )
    objective = apps.get_model("conventions", "StrategicObjective").objects.create(
        convention=convention, number=1, title="Objectif"
    )
    apps.get_model("actions", "ActionSheet").objects.create(
        convention=convention,
        objective=objective,
        number=1,
        title="Accès au NUMÉRIQUE",
        description="Médiation",
        goals="Ateliers",
        target_publics="Aînés",
        planned_start=datetime.date(2023, 1, 1),
    )
    apps = migrate(MIGRATION_AFTER)
    sheet = apps.get_model("actions", "ActionSheet").objects.get(number=1)
    assert sheet.search_text == "acces au numerique mediation ateliers aines"
