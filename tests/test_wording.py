"""French wording without slips (issue 12): plurals, counts without decimals, French spacing
before : and ;, the back-office in French, the commands in French."""

import datetime
import importlib
import io
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from actions.exports import SheetExporter
from actions.history import Change, Entry, SheetHistory
from actions.models import Indicator
from actions.views import merged_message
from conventions.models import StrategicObjective
from ctg_portal.formatting import NBSP, format_measure, french_spacing

from .factories import IndicatorFactory, IndicatorValueFactory
from .helpers import sheet_edit_payload

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
SLUG = "thore-montagne-noire-2023-2025"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS), tick=False),
]


@pytest.fixture
def sheet(seeded):
    return seeded.action_sheets.get(number=4)


@pytest.fixture
def counted(sheet):
    """A count: no decimals, whole values stored as 18.00."""
    indicator = IndicatorFactory(
        sheet=sheet, label="Familles reçues", baseline=Decimal("12"), target=Decimal("50")
    )
    IndicatorValueFactory(
        indicator=indicator, measured_on=datetime.date(2024, 12, 31), value=Decimal("18")
    )
    return indicator


def lines(html):
    """The text of each <li> of the history, tags left out, ordinary spaces joined (no-break
    spaces kept)."""
    items = re.findall(r"<li>(.*?)</li>", html, flags=re.S)
    texts = [re.sub(r"<[^>]+>", "", item).replace("&nbsp;", NBSP) for item in items]
    return [re.sub(r"[ \t\r\n]+", " ", text).strip() for text in texts]


# Plurals


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 étape ou indicateur supprimé d’un côté et modifié de l’autre a été conservé"),
        (2, "2 étapes ou indicateurs supprimés d’un côté et modifiés de l’autre ont été conservés"),
    ],
)
def test_merge_message_plural(count, expected):
    class Merged:
        revived = ["steps.1", "indicators.2"][:count]
        kept = []
        fields = {}

    with translation.override("fr"):
        message = merged_message(Merged())
    assert expected in message
    assert "(s)" not in message


@pytest.mark.parametrize(("count", "word"), [(1, "1 objet écrit"), (2, "2 objets écrits")])
def test_command_counts_plural(count, word):
    from django.utils.translation import ngettext

    with translation.override("fr"):
        text = ngettext("%(count)s object written", "%(count)s objects written", count) % {
            "count": count
        }
    assert text == word


def test_no_count_told_with_s_in_brackets():
    """No "step(s)" in the strings of the apps outside funding and portal: ngettext instead."""
    from django.conf import settings

    paths = [
        path
        for folder in ("actions", "conventions", "ctg_portal", "operations")
        for path in (settings.BASE_DIR / folder).rglob("*.py")
        if "migrations" not in path.parts
    ]
    paths += [
        path
        for folder in ("templates/actions", "templates/includes")
        for path in (settings.BASE_DIR / folder).rglob("*.html")
    ]
    slips = [str(p) for p in paths if re.search(r"\w\(s\)", p.read_text(encoding="utf-8"))]
    assert slips == []


# Counts without decimals


def test_format_measure():
    assert format_measure(Decimal("18.00"), 0) == "18"
    assert format_measure(Decimal("18.00"), 2) == "18,00"
    assert format_measure(Decimal("17.50"), 0) == "17,5"  # nothing rounded away
    assert format_measure(None, 0) == "—"


def test_sheet_page_shows_counts_without_decimals(client, coordinator, counted):
    client.force_login(coordinator)
    html = client.get(reverse("actions:detail", args=[SLUG, 4])).content.decode()
    assert "<td>18</td>" in html
    assert "18,00" not in html
    assert "valeur initiale&nbsp;: 12 ·" in html and "cible&nbsp;: 50</p>" in html
    assert "50,00" not in html and "12,00" not in html


def test_sheet_page_keeps_the_decimals_asked(client, coordinator, counted):
    counted.decimals = 2
    counted.save()
    client.force_login(coordinator)
    html = client.get(reverse("actions:detail", args=[SLUG, 4])).content.decode()
    assert "<td>18,00</td>" in html
    assert "50,00" in html


def test_chart_tells_counts_without_decimals(counted):
    from actions.charts import indicator_chart

    with translation.override("fr"):
        svg = indicator_chart(counted, list(counted.values.all()))
    assert "18,00" not in svg and "cible 50<" in svg
    assert f"Familles reçues{NBSP}: 1 valeur, 18 (31/12/2024)" in svg


def test_export_cell_french(counted, seeded):
    with translation.override("fr"):
        text = SheetExporter.indicator_text(counted)
    assert f"31/12/2024{NBSP}: 18" in text
    assert "18,00" not in text and "31/12/2024: " not in text
    assert f"valeur initiale 12, cible 50{NBSP}; valeurs{NBSP}: " in text


def test_history_tells_counts_without_decimals(client, coordinator, counted, sheet):
    client.force_login(coordinator)
    url = reverse("actions:edit", args=[SLUG, 4])
    indicators = [
        {
            "id": counted.pk,
            "label": counted.label,
            "unit": counted.unit,
            "kind": counted.kind,
            "baseline": "12",
            "target": "60",
            "decimals": "0",
        }
    ]
    response = client.post(url, sheet_edit_payload(sheet, indicators=indicators))
    assert response.status_code == 302
    html = client.get(reverse("actions:detail", args=[SLUG, 4])).content.decode()
    told = [line for line in lines(html) if "Familles reçues" in line and "modifié" in line]
    assert told, lines(html)
    assert f"valeur initiale{NBSP}: 12, cible{NBSP}: 60" in told[0]
    assert "60,00" not in html


def test_edit_form_sets_the_decimals(client, coordinator, counted, sheet):
    client.force_login(coordinator)
    url = reverse("actions:edit", args=[SLUG, 4])
    assert 'name="indicators-0-decimals"' in client.get(url).content.decode()
    row = {
        "id": counted.pk,
        "label": counted.label,
        "unit": counted.unit,
        "kind": counted.kind,
        "baseline": "12",
        "target": "50",
        "decimals": "1",
    }
    assert client.post(url, sheet_edit_payload(sheet, indicators=[row])).status_code == 302
    counted.refresh_from_db()
    assert counted.decimals == 1
    # A post without the field (a merged save) keeps the setting.
    sheet.refresh_from_db()
    row.pop("decimals")
    assert client.post(url, sheet_edit_payload(sheet, indicators=[row])).status_code == 302
    counted.refresh_from_db()
    assert counted.decimals == 1


def test_migration_sets_decimals_from_the_data(counted, sheet):
    fractional = IndicatorFactory(sheet=sheet, baseline=Decimal("2.5"), target=Decimal("4"))
    valued = IndicatorFactory(sheet=sheet, baseline=Decimal("2"), target=Decimal("4"))
    IndicatorValueFactory(indicator=valued, value=Decimal("3.25"))
    migration = importlib.import_module("actions.migrations.0008_indicator_decimals")
    migration.set_decimals(apps, None)
    decimals = dict(Indicator.objects.values_list("pk", "decimals"))
    assert decimals[counted.pk] == 0
    assert decimals[fractional.pk] == 2
    assert decimals[valued.pk] == 2
    assert set(Indicator.history.filter(id=valued.pk).values_list("decimals", flat=True)) == {2}


def test_demo_indicators_are_counts(seeded):
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert set(Indicator.objects.values_list("decimals", flat=True)) == {0}


# French spacing


def test_french_spacing():
    with translation.override("fr"):
        assert french_spacing("%(date)s: %(value)s") == f"%(date)s{NBSP}: %(value)s"
        assert french_spacing("a ; b ?") == f"a{NBSP}; b{NBSP}?"
        assert french_spacing("10:05 https://exemple.fr") == "10:05 https://exemple.fr"


def test_history_line_never_starts_with_a_separator(client, coordinator, sheet, seeded):
    client.force_login(coordinator)
    url = reverse("actions:edit", args=[SLUG, 4])
    domains = list(seeded.domains.order_by("position")[:2])
    payload = sheet_edit_payload(
        sheet, domains=[d.pk for d in domains], description="Un texte nouveau"
    )
    assert client.post(url, payload).status_code == 302
    html = client.get(reverse("actions:detail", args=[SLUG, 4])).content.decode()
    told = lines(html)
    assert any("Domaines" in line for line in told)
    for line in told:
        assert not line.startswith(";"), line
        assert " ;" not in line and " :" not in line, line  # no-break spaces only
    # An empty change (nothing to tell) is left out: the line starts with the next one.
    entry = Entry(
        datetime.datetime.now(tz=PARIS), "Camille", [Change(""), Change("Domaines", "A", "B")]
    )
    with translation.override("fr"):
        html = render_to_string("actions/includes/history.html", {"history": [entry]})
    assert lines(html)[0].startswith("Domaines")


def test_history_changes_are_never_empty(coordinator, sheet):
    entries = SheetHistory(sheet).entries()
    assert all(change for entry in entries for change in entry.changes)


# The back-office in French


def test_admin_index_names_the_apps_in_french(client, superuser, seeded):
    client.force_login(superuser)
    html = client.get(reverse("admin:index")).content.decode()
    assert "Fiches actions" in html
    assert "Sécurité des connexions" in html
    assert ">Axes<" not in html and ">Actions<" not in html


def test_admin_index_names_funding_in_french(client, superuser, seeded):
    client.force_login(superuser)
    html = client.get(reverse("admin:index")).content.decode()
    assert ">Funding<" not in html


def test_indicator_value_str_is_french(counted):
    value = counted.values.get()
    with translation.override("fr"):
        assert str(value) == f"Familles reçues — 31/12/2024{NBSP}: 18"


def test_follow_up_note_str_is_french(sheet):
    from .factories import ProgressNoteFactory

    note = ProgressNoteFactory(sheet=sheet, written_on=datetime.date(2024, 5, 1))
    assert str(note).endswith("— 01/05/2024")


def test_admin_add_page_title(client, superuser, seeded):
    client.force_login(superuser)
    html = client.get(reverse("admin:conventions_strategicobjective_add")).content.decode()
    assert "<h1>Ajouter un objectif stratégique</h1>" in html
    assert "Ajout de" not in html
    objective = StrategicObjective.objects.filter(convention=seeded).first()
    url = reverse("admin:conventions_strategicobjective_change", args=[objective.pk])
    html = client.get(url).content.decode()
    assert "<h1>Modifier l’objectif stratégique</h1>" in html


def test_every_admin_of_our_apps_titles_its_pages_in_french(client, superuser, seeded):
    client.force_login(superuser)
    ours = [
        model
        for model in site._registry
        if model._meta.app_label in {"actions", "conventions", "committees"}
        or model._meta.label == "auth.User"
    ]
    assert len(ours) == 16  # CafMembership's included, Meeting's and Decision's
    for model in ours:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        html = client.get(url).content.decode()
        assert re.search(r"<h1>Ajouter (un|une) ", html), model._meta.label


# The commands in French


def test_seed_ctg_speaks_french(db):
    out = io.StringIO()
    call_command("seed_ctg", stdout=out)
    text = out.getvalue()
    assert "Convention thore-montagne-noire-2023-2025 chargée : " in text
    assert "16 fiches actions" in text and "signataires" in text
    out = io.StringIO()
    call_command("seed_ctg", stdout=out)
    assert "déjà chargée : rien n’a changé" in out.getvalue()


def test_seed_ctg_help_is_french():
    from operations.management.commands.seed_ctg import Command

    parser = Command().create_parser("manage.py", "seed_ctg")
    assert "Charge la convention d’exemple" in parser.format_help()


def test_export_refusal_is_french(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Aucune convention d’identifiant « nope »"):
        call_command("export_convention", "nope", str(tmp_path / "x.json"))


def test_import_asks_in_french_and_takes_oui(seeded, tmp_path):
    from unittest import mock

    backup = tmp_path / "ctg.json"
    call_command("export_convention", SLUG, str(backup), stderr=io.StringIO())
    out = io.StringIO()
    with mock.patch("builtins.input", return_value="oui") as asked:
        call_command("import_convention", str(backup), "--replace", stdout=out)
    question = asked.call_args.args[0]
    assert "Le portail contient la convention « thore-montagne-noire-2023-2025 »" in question
    assert "16 fiches actions" in question and "Tapez « oui »" in question
    assert "restaurée : " in out.getvalue() and "objets écrits" in out.getvalue()


def test_the_indicator_chart_has_axes_dates_and_labels_beside_the_line(counted):
    import datetime

    from actions.charts import LEFT, RIGHT, WIDTH, indicator_chart
    from actions.models import IndicatorValue

    IndicatorValue.objects.create(
        indicator=counted, measured_on=datetime.date(2025, 6, 30), value=30
    )
    with translation.override("fr"):
        svg = indicator_chart(counted, list(counted.values.order_by("measured_on")))
    assert svg.count('class="chart-axis"') == 2
    assert ">31/12/2024<" in svg and ">30/06/2025<" in svg  # the first and last dates
    assert ">50<" in svg and ">12<" in svg  # the value axis spans baseline to target
    # The guides' labels start right of the plot, where the line never runs.
    label_x = [float(x) for x in re.findall(r'<text x="([0-9.]+)" y="[0-9.]+" class', svg)]
    assert label_x and all(x > WIDTH - RIGHT > LEFT for x in label_x)
