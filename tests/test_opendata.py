"""The open data of a public convention: the content of each file against the seed, its format
(stable columns, ISO dates, dot decimals, true/false), no personal data, 404 unless public,
validators and 304, freshness after an edit, the throttle and the query-count guards."""

import csv
import datetime
import io
import re
import zoneinfo
from decimal import Decimal
from email.utils import parsedate_to_datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import ActionSheet, IndicatorValue
from committees.models import Attendance, Decision, Meeting
from conventions.models import Convention
from conventions.services import set_public
from funding.models import FundingAmount, Payment
from operations.management.commands.generate_dataset import generate

from .factories import IndicatorFactory, IndicatorValueFactory, ProgressNoteFactory

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
SLUG = "thore-montagne-noire-2023-2025"
FILES = ["fiches", "objectifs", "financements", "indicateurs", "indicateurs_valeurs"]
COLUMNS = {
    "objectifs": "numero,titre,enjeux,domaines",
    "fiches": "numero,titre,objectif_numero,statut,statut_libelle,priorite,avancement,"
    "date_debut,date_fin,en_retard,structure_pilote,domaines",
    "financements": "ligne_id,libelle,categorie,categorie_libelle,financeur,part_collectivites,"
    "structure,annee,montant_prevu,montant_verse",
    "indicateurs": "id,fiche_numero,libelle,unite,type,valeur_reference,date_reference,cible",
    "indicateurs_valeurs": "indicateur_id,date_mesure,valeur",
    "instances": "id,type,type_libelle,titre,date,heure,lieu,etat",
}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.fixture
def public(seeded, coordinator):
    set_public(seeded, True, coordinator)
    seeded.refresh_from_db()
    return seeded


def url(name, slug=SLUG):
    if name == "page":
        return reverse("opendata:page", args=[slug])
    if name == "datapackage":
        return reverse("opendata:datapackage", args=[slug])
    return reverse("opendata:file", args=[slug, name])


def rows(client, name, slug=SLUG):
    response = client.get(url(name, slug))
    assert response.status_code == 200, response.content
    text = response.content.decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def publishable_meeting(convention, **fields):
    values = {
        "kind": Meeting.Kind.COPIL,
        "title": "COPIL ouvert",
        "starts_at": datetime.datetime(2025, 3, 14, 10, 0, tzinfo=PARIS),
        "place": "Mairie de Labruguière",
        "is_public": True,
    }
    values.update(fields)
    return Meeting.objects.create(convention=convention, **values)


# --- Content against the seed ----------------------------------------------------------------


def test_the_files_have_stable_columns_and_machine_readable_values(client, public):
    publishable_meeting(public)
    for name, header in COLUMNS.items():
        response = client.get(url(name))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == f'attachment; filename="{name}.csv"'
        assert response["Cache-Control"] == "public, max-age=300"
        body = response.content
        assert not body.startswith(b"\xef\xbb\xbf")  # no BOM
        assert body.decode("utf-8").split("\r\n")[0] == header
    for row in rows(client, "fiches"):
        for column in ("date_debut", "date_fin"):
            assert row[column] == "" or ISO_DATE.match(row[column])
        assert row["en_retard"] in ("true", "false")
    for row in rows(client, "financements"):
        assert DECIMAL.match(row["montant_prevu"]) and DECIMAL.match(row["montant_verse"])
        assert row["part_collectivites"] in ("true", "false")
    for row in rows(client, "indicateurs_valeurs"):
        assert ISO_DATE.match(row["date_mesure"]) and DECIMAL.match(row["valeur"])


def test_the_sheets_and_objectives_are_the_seeds(client, public):
    sheets = rows(client, "fiches")
    assert len(sheets) == 16
    assert [int(s["numero"]) for s in sheets] == list(range(1, 17))
    statuses = {code for code, _label in ActionSheet.Status.choices}
    assert {s["statut"] for s in sheets} <= statuses
    first = public.action_sheets.get(number=1)
    assert sheets[0]["titre"] == first.title
    assert sheets[0]["statut_libelle"] == str(first.get_status_display())
    assert int(sheets[0]["avancement"]) == first.progress
    assert all(0 <= int(s["avancement"]) <= 100 for s in sheets)
    objectives = rows(client, "objectifs")
    assert len(objectives) == 7
    assert {s["objectif_numero"] for s in sheets} <= {o["numero"] for o in objectives}


def test_lateness_is_the_models_and_stops_with_the_period(client, public):
    today = datetime.date(2025, 11, 28)
    expected = {
        str(s.number): bool(s.is_late)
        for s in ActionSheet.objects.filter(convention=public).with_lateness(today)
    }
    sheet = public.action_sheets.get(number=2)
    sheet.status, sheet.planned_end = ActionSheet.Status.IN_PROGRESS, datetime.date(2025, 1, 31)
    sheet.progress = 10
    sheet.save()
    expected["2"] = True
    got = {s["numero"]: s["en_retard"] == "true" for s in rows(client, "fiches")}
    assert got == expected and got["2"]
    # After the period (2023–2025), nothing is late any more.
    with time_machine.travel(datetime.datetime(2026, 2, 1, 10, 0, tzinfo=PARIS)):
        assert {s["en_retard"] for s in rows(client, "fiches")} == {"false"}


def test_the_funding_is_the_seeds_with_counted_payments_only(client, public):
    lines = rows(client, "financements")
    assert len(lines) == 9 * 3  # 9 lines × 2023–2025
    assert len({r["ligne_id"] for r in lines}) == 9
    for year in ("2023", "2024", "2025"):
        assert sum(Decimal(r["montant_prevu"]) for r in lines if r["annee"] == year) == 241801
    assert sum(Decimal(r["montant_prevu"]) for r in lines) == 725403
    amount = FundingAmount.objects.filter(line__convention=public, year=2024).first()
    Payment.objects.create(funding_amount=amount, amount=Decimal("1000.50"), paid_on="2024-03-01")
    Payment.objects.create(
        funding_amount=amount,
        amount=Decimal("500"),
        paid_on="2024-04-01",
        cancelled_at=datetime.datetime(2024, 5, 1, tzinfo=PARIS),
        cancel_reason="Erreur",
    )
    row = next(
        r
        for r in rows(client, "financements")
        if r["ligne_id"] == str(amount.line_id) and r["annee"] == "2024"
    )
    assert row["montant_verse"] == "1000.50"
    assert row["financeur"] == "CAF du Tarn"


def test_indicators_and_values_with_their_keys(client, public):
    sheet = public.action_sheets.get(number=1)
    indicator = IndicatorFactory(sheet=sheet, label="Places d’accueil", unit="places")
    IndicatorValueFactory(indicator=indicator, measured_on="2024-12-31", value=Decimal("82.5"))
    IndicatorValueFactory(indicator=indicator, measured_on="2025-06-30", value=Decimal("90"))
    archived = public.action_sheets.get(number=16)
    ActionSheet.objects.filter(pk=archived.pk).update(
        archived_at=datetime.datetime(2025, 6, 1, tzinfo=PARIS)
    )
    IndicatorValueFactory(indicator=IndicatorFactory(sheet=archived), measured_on="2025-01-01")
    indicators = rows(client, "indicateurs")
    assert indicators == [
        {
            "id": str(indicator.pk),
            "fiche_numero": "1",
            "libelle": "Places d’accueil",
            "unite": "places",
            "type": "result",
            "valeur_reference": "10.00",
            "date_reference": "",
            "cible": "40.00",
        }
    ]
    values = rows(client, "indicateurs_valeurs")
    assert [(v["indicateur_id"], v["date_mesure"], v["valeur"]) for v in values] == [
        (str(indicator.pk), "2024-12-31", "82.50"),
        (str(indicator.pk), "2025-06-30", "90.00"),
    ]
    assert len(rows(client, "fiches")) == 15  # the archived sheet is left out, with its data


def test_meetings_only_when_publishable(client, public):
    assert client.get(url("instances")).status_code == 404
    Meeting.objects.create(
        convention=public,
        title="COTECH interne",
        starts_at=datetime.datetime(2025, 2, 1, 10, 0, tzinfo=PARIS),
    )
    publishable_meeting(public, title="COPIL annulé", state=Meeting.State.CANCELLED)
    assert client.get(url("instances")).status_code == 404
    meeting = publishable_meeting(public)
    assert rows(client, "instances") == [
        {
            "id": str(meeting.pk),
            "type": "copil",
            "type_libelle": "COPIL",
            "titre": "COPIL ouvert",
            "date": "2025-03-14",
            "heure": "10:00",
            "lieu": "Mairie de Labruguière",
            "etat": "planned",
        }
    ]


def test_unknown_files_are_404(client, public):
    for name in ("inconnu", "datapackage", "FICHES"):
        response = client.get(reverse("opendata:file", args=[SLUG, name]))
        assert response.status_code == 404
        assert "Aucun fichier" in response.content.decode()
    assert client.get(url("page") + "fiches.json").status_code == 404


# --- No personal data -----------------------------------------------------------------------


def test_no_personal_data_in_any_file_or_the_page(client, public, pilot):
    pilot.first_name, pilot.last_name = "Zéphyrine", "Quercy-Lamothe"
    pilot.email, pilot.username = "zephyrine.quercy@exemple.fr", "zquercy7"
    pilot.save()
    sheet = public.action_sheets.get(number=1)
    ProgressNoteFactory(sheet=sheet, author=pilot, text="Note interne Xylophage", is_public=False)
    ProgressNoteFactory(
        sheet=sheet, author=pilot, text="Note publiée Ornithorynque", is_public=True
    )
    indicator = IndicatorFactory(sheet=sheet)
    IndicatorValue.objects.create(
        indicator=indicator, measured_on="2025-10-01", value=7, comment="Commentaire Brontosaure"
    )
    meeting = publishable_meeting(public, minutes="Relevé Ptérodactyle")
    Attendance.objects.create(meeting=meeting, user=pilot, status=Attendance.Status.PRESENT)
    Decision.objects.create(meeting=meeting, text="Décider", owner=pilot)
    secrets = [
        "Zéphyrine",
        "Quercy",
        "zephyrine.quercy",
        "@",
        "Xylophage",
        "Ornithorynque",
        "Commentaire",
        "Brontosaure",
        "Ptérodactyle",
        pilot.username,
    ]
    bodies = {name: client.get(url(name)).content.decode() for name in [*COLUMNS, "datapackage"]}
    bodies["page"] = client.get(url("page")).content.decode()
    assert "2025-10-01" in bodies["indicateurs_valeurs"]  # the value is there, not its comment
    for name, body in bodies.items():
        for secret in secrets:
            if secret == "@" and name == "page":
                continue  # the page's own markup; the files hold no e-mail at all
            assert secret not in body, (name, secret)


# --- Not public: 404 for everyone -------------------------------------------------------------


def test_a_convention_not_public_is_404_everywhere_members_included(client, seeded, coordinator):
    names = ["page", "datapackage", *COLUMNS]
    for who in (None, coordinator):
        if who:
            client.force_login(who)
        for name in names:
            assert client.get(url(name)).status_code == 404, (who, name)
    for name in names:
        assert client.get(url(name, "nulle-part")).status_code == 404


# --- Validators, freshness, throttle ---------------------------------------------------------


def test_conditional_requests_answer_304(client, public):
    for name in ("fiches", "datapackage"):
        response = client.get(url(name))
        assert response.status_code == 200
        etag, modified = response["ETag"], response["Last-Modified"]
        assert etag and modified
        again = client.get(url(name), headers={"if-none-match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again["ETag"] == etag
        since = client.get(url(name), headers={"if-modified-since": modified})
        assert since.status_code == 304
        assert client.get(url(name), headers={"if-none-match": '"autre"'}).status_code == 200


def test_an_edit_changes_the_files_at_once(client, public):
    before = client.get(url("fiches"))
    package_before = client.get(url("datapackage"))
    sheet = public.action_sheets.get(number=3)
    sheet.title = "Un nouveau titre visible tout de suite"
    sheet.save()
    after = client.get(url("fiches"))
    assert "Un nouveau titre visible tout de suite" in after.content.decode()
    assert after["ETag"] != before["ETag"]
    assert modified_at(after) >= modified_at(before)
    assert client.get(url("datapackage")).content != package_before.content
    # A value has no history: the fingerprint of the values moves the stamp all the same.
    values_before = client.get(url("indicateurs_valeurs")).content
    indicator = IndicatorFactory(sheet=sheet)
    values_before = client.get(url("indicateurs_valeurs")).content
    seen = client.get(url("indicateurs_valeurs"))["Last-Modified"]
    # HTTP dates count whole seconds: the value is added a few seconds later.
    with time_machine.travel(datetime.timedelta(seconds=3)):
        IndicatorValue.objects.create(indicator=indicator, measured_on="2025-11-01", value=42)
        assert client.get(url("indicateurs_valeurs")).content != values_before
        # A client that only sends If-Modified-Since gets the new file, not a 304.
        since = client.get(url("indicateurs_valeurs"), headers={"if-modified-since": seen})
    assert since.status_code == 200 and b"2025-11-01,42.00" in since.content
    assert "2025-11-01,42.00" in client.get(url("indicateurs_valeurs")).content.decode()


def modified_at(response):
    return parsedate_to_datetime(response["Last-Modified"])


def test_the_files_are_cached_between_edits(client, public):
    client.get(url("fiches"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("objectifs")).status_code == 200
    assert len(queries) == 2  # the convention and its stamp: the files come from the cache


def test_the_open_data_is_throttled(client, settings, public):
    settings.OPENDATA_THROTTLE = 3
    statuses = [client.get(url(name)).status_code for name in ("page", "fiches", "datapackage")]
    assert statuses == [200, 200, 200]
    refused = client.get(url("objectifs"))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 600
    assert "Trop de requêtes" in refused.content.decode()


# --- The page ---------------------------------------------------------------------------------


def test_the_page_describes_the_files_from_the_schema(client, public):
    publishable_meeting(public)
    response = client.get(url("page"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Licence Ouverte / Etalab 2.0" in html
    assert "https://www.etalab.gouv.fr/licence-ouverte-open-licence/" in html
    assert "CAF du Tarn" in html and "Communauté de communes Thoré Montagne Noire" in html
    assert re.search(r'id="last-update">\d{2}/\d{2}/\d{4}<', html)
    for name, header in COLUMNS.items():
        assert reverse("opendata:file", args=[SLUG, name]) in html
        for column in header.split(","):
            assert f"<code>{column}</code>" in html
    assert "16 lignes" in html and "7 lignes" in html and "27 lignes" in html
    assert "Statut, en toutes lettres." in html  # the schema's description, in French
    assert "frictionless validate http://testserver/public/" in html


def test_the_public_page_and_the_publication_page_link_the_open_data(client, public, coordinator):
    link = reverse("opendata:page", args=[SLUG])
    html = client.get(reverse("portal:public", args=[SLUG])).content.decode()
    assert f'href="{link}"' in html and "Données ouvertes" in html
    client.force_login(coordinator)
    html = client.get(reverse("portal:publication", args=[SLUG])).content.decode()
    assert "fichiers de données ouvertes" in html and f'href="{link}"' in html


# --- Query counts -----------------------------------------------------------------------------


def count(client, address):
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        assert client.get(address).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert client.get(address).status_code == 200
    return len(cold), len(warm)


def test_a_fixed_number_of_queries_with_16_and_300_sheets(client, public):
    publishable_meeting(public)
    names = ["page", "datapackage", *COLUMNS]
    small = {name: count(client, url(name)) for name in names}
    generate(1, seed=3, prefix="big", meetings=1, sheets=300)
    big = Convention.objects.exclude(pk=public.pk).get(slug__startswith="big")
    Convention.objects.filter(pk=big.pk).update(is_public=True)
    Meeting.objects.filter(convention=big).update(is_public=True, state=Meeting.State.HELD)
    assert big.action_sheets.count() == 300
    large = {name: count(client, url(name, big.slug)) for name in names}
    assert large == small
    assert small["fiches"][1] == 2
