"""The Data Package validates with the `frictionless` library — its schema, the files' types and
constraints, their hashes and the foreign keys between them — and the permission matrix of the
open data's URLs."""

import datetime
import json
import zoneinfo

import frictionless
import pytest
from django.urls import reverse

from committees.models import Meeting
from conventions.services import set_public

from .factories import IndicatorFactory, IndicatorValueFactory

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
SLUG = "thore-montagne-noire-2023-2025"

URL_NAMES = {"opendata:page", "opendata:datapackage", "opendata:file"}


@pytest.fixture
def public(seeded, coordinator):
    set_public(seeded, True, coordinator)
    sheet = seeded.action_sheets.get(number=1)
    indicator = IndicatorFactory(sheet=sheet)
    IndicatorValueFactory(indicator=indicator, measured_on="2025-06-30", value=12)
    Meeting.objects.create(
        convention=seeded,
        title="COPIL ouvert",
        starts_at=datetime.datetime(2025, 3, 14, 10, 0, tzinfo=PARIS),
        is_public=True,
    )
    return seeded


def download(client, tmp_path):
    """datapackage.json and every file it names, through the test client, into tmp_path."""
    response = client.get(reverse("opendata:datapackage", args=[SLUG]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    (tmp_path / "datapackage.json").write_bytes(response.content)
    package = json.loads(response.content)
    for resource in package["resources"]:
        name = resource["path"].removesuffix(".csv")
        file = client.get(reverse("opendata:file", args=[SLUG, name]))
        assert file.status_code == 200
        (tmp_path / resource["path"]).write_bytes(file.content)
    return package


def test_the_package_and_its_files_validate(client, public, tmp_path):
    package = download(client, tmp_path)
    assert [r["path"] for r in package["resources"]] == [
        "objectifs.csv",
        "fiches.csv",
        "financements.csv",
        "indicateurs.csv",
        "indicateurs_valeurs.csv",
        "instances.csv",
    ]
    assert package["licenses"] == [
        {
            "name": "etalab-2.0",
            "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            "title": "Licence Ouverte / Etalab 2.0",
        }
    ]
    assert {c["title"] for c in package["contributors"]} == {
        "CAF du Tarn",
        "Communauté de communes Thoré Montagne Noire",
    }
    datetime.datetime.fromisoformat(package["created"])
    for resource in package["resources"]:
        assert resource["format"] == "csv" and resource["encoding"] == "utf-8"
        assert resource["mediatype"] == "text/csv"
        assert resource["schema"]["primaryKey"]
        for field in resource["schema"]["fields"]:
            assert field["description"]
    sheets = next(r for r in package["resources"] if r["name"] == "fiches")
    fields = {f["name"]: f for f in sheets["schema"]["fields"]}
    assert fields["avancement"]["constraints"] == {"required": True, "minimum": 0, "maximum": 100}
    assert "in_progress" in fields["statut"]["constraints"]["enum"]
    assert sheets["schema"]["foreignKeys"] == [
        {
            "fields": ["objectif_numero"],
            "reference": {"resource": "objectifs", "fields": ["numero"]},
        }
    ]

    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.stats["errors"] == 0
    assert len(report.tasks) == 6 and all(task.valid for task in report.tasks)


def test_frictionless_checks_the_foreign_keys(client, public, tmp_path):
    """A sheet whose objective is not in objectifs.csv, a value of an unknown indicator: both
    are reported (the package's hashes are left out to see the keys alone)."""
    package = download(client, tmp_path)
    for resource in package["resources"]:
        resource.pop("hash"), resource.pop("bytes")
    (tmp_path / "datapackage.json").write_text(json.dumps(package))
    fiches = (tmp_path / "fiches.csv").read_bytes().decode().split("\r\n")
    first = fiches[1].split(",")
    first[2] = "99"
    fiches[1] = ",".join(first)
    (tmp_path / "fiches.csv").write_bytes("\r\n".join(fiches).encode())
    values = (tmp_path / "indicateurs_valeurs.csv").read_bytes()
    (tmp_path / "indicateurs_valeurs.csv").write_bytes(values + b"987654,2025-01-01,3.00\r\n")
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    assert {error for (error,) in report.flatten(["type"])} == {"foreign-key"}
    invalid = {task.name for task in report.tasks if not task.valid}
    assert invalid == {"fiches", "indicateurs_valeurs"}


# --- Permission matrix ----------------------------------------------------------------------

PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]


def address(name):
    args = {"opendata:file": [SLUG, "fiches"]}.get(name, [SLUG])
    return reverse(name, args=args)


@pytest.mark.parametrize("name", sorted(URL_NAMES))
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, seeded, coordinator, persona, name):
    """Everyone reads a public convention's open data; no one a non-public one's (members
    included); nothing is written (POST 405)."""
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    assert client.get(address(name)).status_code == 404
    assert client.post(address(name)).status_code == 405
    set_public(seeded, True, coordinator)
    assert client.get(address(name)).status_code == 200
    assert client.post(address(name)).status_code == 405


def test_matrix_names_every_url_of_the_module():
    from opendata import urls

    assert {f"opendata:{p.name}" for p in urls.urlpatterns} == URL_NAMES
