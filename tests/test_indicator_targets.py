"""Indicators with a baseline (value, date, source) and a target per year of the period (issue
15): the edit form takes them, the sheet page, its chart and its printout show them, a merge
of two edits treats each year's target as a field, the export, the history and a backup carry
them."""

import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from actions.charts import indicator_chart
from actions.exports import SheetExporter
from actions.history import SheetHistory
from actions.models import ActionSheet, Indicator, IndicatorValue
from conventions.models import Convention
from operations.backup import export_convention

from .factories import IndicatorFactory, IndicatorValueFactory, UserFactory
from .helpers import iso, sheet_edit_payload

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"  # 2023–2025
NBSP = "\u00a0"
D = datetime.date


def edit_url(number=4):
    return reverse("actions:edit", args=[SLUG, number])


def detail_url(number=4):
    return reverse("actions:detail", args=[SLUG, number])


def html_of(response):
    return response.content.decode().replace("&nbsp;", NBSP)


def text_of(response):
    """The page's text, tags left out, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", html_of(response))
    return re.sub(r"[ \n]+", " ", text)


@pytest.fixture
def sheet(seeded):
    return seeded.action_sheets.get(number=4)


@pytest.fixture
def places(sheet):
    """An indicator of sheet 4 with values in 2023 and 2024, none in 2025."""
    indicator = IndicatorFactory(
        sheet=sheet,
        label="Places d’accueil",
        unit="places",
        baseline=Decimal("80"),
        target=Decimal("120"),
    )
    for day, value in [(D(2023, 6, 30), 85), (D(2023, 12, 31), 92), (D(2024, 12, 31), 99)]:
        IndicatorValueFactory(indicator=indicator, measured_on=day, value=Decimal(value))
    return indicator


def indicator_row(indicator, **changes):
    """The posted fields of an existing indicator, as its edit form shows them."""
    row = {
        "id": indicator.pk,
        "label": indicator.label,
        "unit": indicator.unit,
        "kind": indicator.kind,
        "decimals": indicator.decimals,
        "baseline": indicator.baseline if indicator.baseline is not None else "",
        "baseline_date": iso(indicator.baseline_date),
        "baseline_source": indicator.baseline_source,
        "target": indicator.target if indicator.target is not None else "",
    }
    for year in (2023, 2024, 2025):
        value = (indicator.yearly_targets or {}).get(str(year))
        row[f"target_{year}"] = "" if value is None else value.replace(".", ",")
    row.update(changes)
    return row


def post(client, sheet, indicators):
    return client.post(edit_url(sheet.number), sheet_edit_payload(sheet, indicators=indicators))


# The edit form.


def test_the_form_has_one_labelled_input_per_year_of_the_period(client, coordinator, places):
    client.force_login(coordinator)
    response = client.get(edit_url())
    html = re.sub(r"\s+", " ", html_of(response))
    for year in (2023, 2024, 2025):
        assert f'<label for="id_indicators-0-target_{year}" class="form-label"> Cible {year} <' in (
            html
        )
        assert f'id="id_indicators-0-target_{year}"' in html
    assert "target_2022" not in html and "target_2026" not in html
    assert "Cible de chaque année" in html
    assert "Date de la valeur de référence" in html and "Source de la valeur de référence" in html
    assert "Cible finale (fin de la période)" in html
    # Two year inputs side by side on a phone (col-6), six on a wide screen.
    assert html.count('class="col-6 col-sm-4 col-md-2"') == 3 * 2  # the indicator, a new one


def test_yearly_targets_baseline_date_and_source_are_saved(client, coordinator, sheet, places):
    client.force_login(coordinator)
    row = indicator_row(
        places,
        baseline_date="2022-12-31",
        baseline_source="Recensement CAF 2022",
        target_2023="95",
        target_2024="17,5",
        target_2025="",
    )
    assert post(client, sheet, [row]).status_code == 302
    places.refresh_from_db()
    assert places.yearly_targets == {"2023": "95", "2024": "17.5"}
    assert places.baseline_date == D(2022, 12, 31)
    assert places.baseline_source == "Recensement CAF 2022"
    assert places.target_for(2024) == Decimal("17.5")
    assert places.target_for(2025) == Decimal("120")  # the final target stands for the last year


def test_a_new_indicator_gets_its_yearly_targets(client, coordinator, sheet):
    client.force_login(coordinator)
    new = {
        "label": "Familles accompagnées",
        "unit": "familles",
        "kind": "result",
        "decimals": "0",
        "baseline": "",
        "target": "",
        "target_2024": "1 200",
        "target_2025": "1 500,50",
    }
    assert post(client, sheet, [new]).status_code == 302
    indicator = Indicator.objects.get(sheet=sheet, label="Familles accompagnées")
    assert indicator.yearly_targets == {"2024": "1200", "2025": "1500.5"}


def test_emptying_a_year_removes_its_target(client, coordinator, sheet, places):
    places.yearly_targets = {"2023": "90", "2024": "100"}
    places.save()
    client.force_login(coordinator)
    assert post(client, sheet, [indicator_row(places, target_2023="")]).status_code == 302
    places.refresh_from_db()
    assert places.yearly_targets == {"2024": "100"}


def test_a_post_without_the_new_fields_keeps_them(client, coordinator, sheet, places):
    """A page opened before the fields existed posts none of them: nothing is lost."""
    places.yearly_targets = {"2024": "100"}
    places.baseline_date, places.baseline_source = D(2022, 12, 31), "CAF"
    places.save()
    client.force_login(coordinator)
    row = indicator_row(places, label="Places d’accueil du territoire")
    for name in ("baseline_date", "baseline_source", "target_2023", "target_2024", "target_2025"):
        del row[name]
    assert post(client, sheet, [row]).status_code == 302
    places.refresh_from_db()
    assert places.label == "Places d’accueil du territoire"
    assert places.yearly_targets == {"2024": "100"}
    assert (places.baseline_date, places.baseline_source) == (D(2022, 12, 31), "CAF")


def test_an_invalid_target_is_refused_in_french(client, coordinator, sheet, places):
    client.force_login(coordinator)
    response = post(client, sheet, [indicator_row(places, target_2024="beaucoup")])
    assert response.status_code == 400
    html = html_of(response)
    assert "Saisissez un nombre" in html
    assert 'href="#id_indicators-0-target_2024"' in html  # the summary links to the input
    places.refresh_from_db()
    assert places.yearly_targets == {}


def test_a_target_outside_the_period_is_refused_in_french(client, coordinator, sheet, places):
    """The period was shortened after a target was set for a year now outside it: the form
    shows that year, refuses to keep a value there, and saves once it is emptied."""
    Indicator.objects.filter(pk=places.pk).update(yearly_targets={"2022": "70", "2024": "100"})
    places.refresh_from_db()
    client.force_login(coordinator)
    html = html_of(client.get(edit_url()))
    assert "Cible 2022" in html and 'value="70"' in html

    row = indicator_row(places, target_2022="70")
    response = post(client, sheet, [row])
    assert response.status_code == 400
    html = html_of(response)
    message = "Une cible annuelle porte sur une année de la convention (2023–2025), pas sur 2022."
    assert message in html.replace(NBSP, " ")
    assert 'href="#id_indicators-0-target_2022"' in html  # the summary links to the input
    errors = response.context["indicators"].forms[0].errors
    assert list(errors) == ["target_2022"]
    places.refresh_from_db()
    assert places.yearly_targets == {"2022": "70", "2024": "100"}

    assert post(client, sheet, [indicator_row(places, target_2022="")]).status_code == 302
    places.refresh_from_db()
    assert places.yearly_targets == {"2024": "100"}


# The sheet page and its chart.


def test_the_sheet_page_shows_the_baseline_and_the_targets_of_each_year(client, elected, places):
    places.baseline_date, places.baseline_source = D(2022, 12, 31), "Recensement CAF"
    places.yearly_targets = {"2023": "90", "2024": "105"}
    places.save()
    client.force_login(elected)
    response = client.get(detail_url())
    text = text_of(response)
    assert f"valeur initiale{NBSP}: 80 (au 31/12/2022, source{NBSP}: Recensement CAF)" in text
    assert f"Cibles de «{NBSP}Places d’accueil{NBSP}» par année" in text
    table = html_of(response).split('class="table table-sm mt-2 year-targets"')[1]
    table = re.sub(r"[ \n]+", " ", re.sub(r"<[^>]+>", " ", table.split("</table>")[0]))
    assert "Année Cible Dernière valeur de l’année Résultat" in table
    # 2023: 92 (the last value of the year) ≥ 90; 2024: 99 < 105; 2025: the final target.
    assert "2023 90 92 atteinte" in table
    assert "2024 105 99 non atteinte" in table
    assert "2025 120 — sans valeur" in table


def test_a_target_under_the_baseline_is_reached_from_below(client, elected, sheet):
    waiting = IndicatorFactory(
        sheet=sheet,
        label="Délai d’attente",
        unit="jours",
        baseline=Decimal("60"),
        target=Decimal("30"),
        yearly_targets={"2024": "45"},
    )
    IndicatorValueFactory(indicator=waiting, measured_on=D(2024, 12, 1), value=Decimal("40"))
    client.force_login(elected)
    text = text_of(client.get(detail_url()))
    assert "2024 45 40 atteinte" in text
    assert "2023 — — sans cible" in text


def test_no_table_without_yearly_targets(client, elected, places):
    client.force_login(elected)
    assert "year-targets" not in html_of(client.get(detail_url()))


def test_the_chart_draws_each_years_target_with_a_legend(places):
    places.yearly_targets = {"2023": "90", "2024": "105", "2025": "118"}
    places.save()
    values = list(places.values.order_by("measured_on"))
    with translation.override("fr"):
        svg = indicator_chart(places, values)
    assert svg.count('<line x1="') >= 3
    levels = re.findall(
        r'<line x1="([0-9.]+)" x2="([0-9.]+)" y1="([0-9.]+)" y2="[0-9.]+" '
        r'class="chart-year-target"',
        svg,
    )
    assert len(levels) == 4  # three years and the legend's sample
    years = levels[:3]
    # One after the other along the time axis, the higher target drawn higher.
    assert float(years[0][1]) <= float(years[1][0]) and float(years[1][1]) <= float(years[2][0])
    assert float(years[2][2]) < float(years[1][2]) < float(years[0][2])
    assert f"<title>cible 2024{NBSP}: 105</title>" in svg
    assert ">cible de chaque année<" in svg
    assert (
        f"{NBSP}; cibles de chaque année{NBSP}: 2023{NBSP}: 90, 2024{NBSP}: 105, 2025{NBSP}: 118"
        in svg
    )
    # The time axis now runs to the end of the last target's year.
    assert ">31/12/2025<" in svg
    assert 'height="166"' in svg


def test_the_chart_without_yearly_targets_is_unchanged(places):
    values = list(places.values.order_by("measured_on"))
    with translation.override("fr"):
        svg = indicator_chart(places, values)
    assert "chart-year-target" not in svg and 'height="150"' in svg
    assert ">30/06/2023<" in svg and ">31/12/2024<" in svg


def test_the_sheet_printout_still_fits_one_page(seeded, coordinator):
    from conventions.perms import ConventionAccess
    from portal.printouts import sheet_printout_context

    from .test_printouts import document, furnish_sheet_4

    furnish_sheet_4(seeded, coordinator)
    for indicator in Indicator.objects.filter(sheet__convention=seeded, sheet__number=4):
        indicator.yearly_targets = {"2023": "2", "2024": "4", "2025": "6"}
        indicator.baseline_date, indicator.baseline_source = D(2022, 12, 31), "Enquête CAF"
        indicator.save()
    access = ConventionAccess(coordinator, seeded, "coordinator")
    sheet = ActionSheet.objects.with_lateness(D(2025, 6, 2)).get(convention=seeded, number=4)
    context = sheet_printout_context(access, sheet)
    assert all("chart-year-target" in str(i.chart) for i in context["indicators"])
    assert len(document(coordinator, "portal/printout_sheet.html", context).pages) == 1


# Query counts.


def furnish(sheet, count):
    for n in range(count):
        indicator = IndicatorFactory(
            sheet=sheet, label=f"Indicateur {n}", yearly_targets={"2023": "5", "2024": "8"}
        )
        for day in (D(2023, 12, 31), D(2024, 6, 30), D(2024, 12, 31)):
            IndicatorValueFactory(indicator=indicator, measured_on=day, value=Decimal(n))


def test_sheet_and_edit_pages_query_counts_do_not_grow(client, coordinator, sheet):
    furnish(sheet, 1)
    client.force_login(coordinator)
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            furnish(sheet, 12)
        for url in (detail_url(), edit_url()):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200
            counts[size, url] = len(queries)
    assert counts["small", detail_url()] == counts["large", detail_url()]
    assert counts["small", edit_url()] == counts["large", edit_url()]
    assert text_of(response).count("Cible 2024") == 14  # 13 indicators and a new one


# Merging two edits.


@pytest.fixture
def two(client, coordinator, seeded):
    """Two logged-in browsers: a colleague (A) and the coordinator (B)."""
    from conventions.models import Membership

    from .factories import MembershipFactory

    colleague = UserFactory(username="alice", first_name="Alice", last_name="Durand")
    MembershipFactory(user=colleague, convention=seeded, role=Membership.Role.COORDINATOR)
    a = client.__class__()
    a.force_login(colleague)
    client.force_login(coordinator)
    return a, client


def test_targets_of_different_years_merge(two, sheet, places):
    a, b = two
    places.yearly_targets = {"2023": "90"}
    places.save()
    form_a = sheet_edit_payload(sheet, indicators=[indicator_row(places, target_2024="105")])
    form_b = sheet_edit_payload(
        sheet, indicators=[indicator_row(places, target_2025="118", target_2023="91")]
    )
    assert a.post(edit_url(), form_a).status_code == 302
    response = b.post(edit_url(), form_b, follow=True)
    assert response.redirect_chain[-1][1] == 302
    places.refresh_from_db()
    assert places.yearly_targets == {"2023": "91", "2024": "105", "2025": "118"}
    assert "vos modifications ont été fusionnées" in html_of(response)
    assert "Indicateurs" in html_of(response)


def test_a_target_both_changed_is_shown_for_the_user_to_choose(two, sheet, places):
    a, b = two
    places.yearly_targets = {"2024": "100"}
    places.save()
    form_a = sheet_edit_payload(sheet, indicators=[indicator_row(places, target_2024="105")])
    form_b = sheet_edit_payload(
        sheet, indicators=[indicator_row(places, target_2024="110", unit="places agréées")]
    )
    assert a.post(edit_url(), form_a).status_code == 302
    response = b.post(edit_url(), form_b)
    assert response.status_code == 409
    [conflict] = response.context["conflicts"]
    assert conflict.key == f"indicators.{places.pk}.target_2024"
    assert conflict.label == "Indicateur « Places d’accueil » : cible 2024"
    assert (conflict.theirs_text, conflict.mine_text) == ("105", "110")
    html = html_of(response)
    assert "Alice Durand" in html and "cible 2024" in html
    places.refresh_from_db()
    assert places.yearly_targets == {"2024": "105"} and places.unit == "places"

    data = form_data(response)
    refused = b.post(edit_url(), data)
    assert refused.status_code == 409  # nothing chosen: nothing written

    data[f"keep.indicators.{places.pk}.target_2024"] = "theirs"
    assert b.post(edit_url(), data).status_code == 302
    places.refresh_from_db()
    assert places.yearly_targets == {"2024": "105"}
    assert places.unit == "places agréées"  # B's other change, applied


def test_choosing_ones_own_target(two, sheet, places):
    a, b = two
    form_a = sheet_edit_payload(sheet, indicators=[indicator_row(places, target_2024="105")])
    form_b = sheet_edit_payload(sheet, indicators=[indicator_row(places, target_2024="110")])
    assert a.post(edit_url(), form_a).status_code == 302
    response = b.post(edit_url(), form_b)
    assert response.status_code == 409
    data = form_data(response)
    data[f"keep.indicators.{places.pk}.target_2024"] = "mine"
    assert b.post(edit_url(), data).status_code == 302
    places.refresh_from_db()
    assert places.yearly_targets == {"2024": "110"}


def test_a_target_set_meanwhile_is_kept_by_a_stale_save(two, sheet, places):
    a, b = two
    form_a = sheet_edit_payload(
        sheet,
        indicators=[
            indicator_row(places, target_2023="90", baseline_source="CAF", baseline_date="")
        ],
    )
    form_b = sheet_edit_payload(sheet, goals="Objectifs de B")
    assert a.post(edit_url(), form_a).status_code == 302
    assert b.post(edit_url(), form_b).status_code == 302
    places.refresh_from_db()
    sheet.refresh_from_db()
    assert places.yearly_targets == {"2023": "90"} and places.baseline_source == "CAF"
    assert sheet.goals == "Objectifs de B"


def form_data(response):
    form = response.context["form"]
    data = dict(form.data.items())
    for name in ("domains", "pilots", "partners", "communes"):
        data[name] = form.data.getlist(name)
    return data


# History.


def test_the_history_tells_each_changed_target(client, coordinator, sheet, places):
    places.yearly_targets = {"2024": "120"}
    places.save()
    client.force_login(coordinator)
    row = indicator_row(places, target_2024="150", target_2025="80")
    assert post(client, sheet, [row]).status_code == 302
    with translation.override("fr"):
        texts = [c.text for e in SheetHistory(sheet).entries() for c in e.changes]
    expected = (
        f"Indicateur «{NBSP}Places d’accueil{NBSP}» modifié "
        f"(cible 2024{NBSP}: 120 → 150{NBSP}; cible 2025{NBSP}: — → 80)"
    )
    assert expected in texts
    assert not any("{" in text for text in texts)
    html = html_of(client.get(detail_url()))
    assert f"cible 2024{NBSP}: 120 → 150" in html


def test_the_history_tells_targets_beside_other_changes(client, coordinator, sheet, places):
    client.force_login(coordinator)
    row = indicator_row(places, baseline="82", target_2023="90")
    assert post(client, sheet, [row]).status_code == 302
    with translation.override("fr"):
        texts = [c.text for e in SheetHistory(sheet).entries() for c in e.changes]
    assert (
        f"Indicateur «{NBSP}Places d’accueil{NBSP}» modifié (valeur initiale{NBSP}: 82, "
        f"cible{NBSP}: 120){NBSP}; cible 2023{NBSP}: — → 90"
    ) in texts


# Export.


def test_the_export_carries_baseline_date_source_and_targets_per_year(seeded, sheet, places):
    places.baseline_date, places.baseline_source = D(2022, 12, 31), "Recensement CAF"
    places.yearly_targets = {"2023": "90", "2024": "105.5"}
    places.save()
    IndicatorFactory(sheet=sheet, label="Sans cible", target=None, yearly_targets={})
    with translation.override("fr"):
        exporter = SheetExporter(seeded)
        header = exporter.header()
        rows = {row[0]: row for row in exporter.rows()}
    assert header[-4:] == ["Indicateurs", "Cibles 2023", "Cibles 2024", "Cibles 2025"]
    row = rows[4]
    assert len(row) == len(header)
    assert f"valeur initiale 80 (31/12/2022, source{NBSP}: Recensement CAF)" in row[-4]
    assert row[-3:] == [
        f"Places d’accueil{NBSP}: 90",
        f"Places d’accueil{NBSP}: 105,5",
        f"Places d’accueil{NBSP}: 120",  # the final target stands for the last year
    ]
    assert rows[1][-3:] == ["", "", ""]


def test_the_export_files_have_the_year_columns(client, elected, places):
    import openpyxl

    places.yearly_targets = {"2024": "105"}
    places.save()
    client.force_login(elected)
    response = client.get(reverse("actions:export", args=[SLUG, "xlsx"]))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.active.iter_rows(values_only=True))
    header = list(rows[0])
    column = header.index("Cibles 2024")
    [row] = [r for r in rows[1:] if r[0] == 4]
    assert row[column] == f"Places d’accueil{NBSP}: 105"
    csv = client.get(reverse("actions:export", args=[SLUG, "csv"]))
    content = csv.streaming_content if csv.streaming else [csv.content]
    text = b"".join(content).decode("utf-8-sig")
    assert "Cibles 2023;Cibles 2024;Cibles 2025" in text.splitlines()[0]


# Backup.


@pytest.mark.django_db(transaction=True)
def test_a_backup_round_trips_the_new_fields_identically(client, seeded, coordinator, tmp_path):
    sheet = seeded.action_sheets.get(number=4)
    indicator = IndicatorFactory(sheet=sheet, label="Places", target=Decimal("120"))
    IndicatorValueFactory(indicator=indicator, measured_on=D(2024, 12, 31), value=Decimal(99))
    client.force_login(coordinator)
    row = indicator_row(
        indicator,
        baseline_date="2022-12-31",
        baseline_source="Recensement CAF",
        target_2023="90",
        target_2024="105,5",
    )
    assert post(client, sheet, [row]).status_code == 302
    row = indicator_row(
        Indicator.objects.get(pk=indicator.pk), target_2024="110", target_2025="118"
    )
    assert post(client, ActionSheet.objects.get(pk=sheet.pk), [row]).status_code == 302
    told_before = [(e.when, e.changes) for e in SheetHistory(sheet).entries()]
    assert any("cible 2024" in c.text for _w, changes in told_before for c in changes)

    backup = tmp_path / "ctg.json"
    call_command("export_convention", SLUG, str(backup))
    first = json.loads(backup.read_text(encoding="utf-8"))
    [saved] = [
        o["fields"]
        for o in first["objects"]
        if o["model"] == "actions.indicator" and o["pk"] == indicator.pk
    ]
    assert saved["yearly_targets"] == {"2023": "90", "2024": "110", "2025": "118"}
    assert (saved["baseline_date"], saved["baseline_source"]) == ("2022-12-31", "Recensement CAF")

    call_command("flush", interactive=False, verbosity=0)
    call_command("import_convention", str(backup), stdout=io.StringIO())
    restored = Convention.objects.get(slug=SLUG)
    again = json.loads(export_convention(restored))
    first.pop("exported_at"), again.pop("exported_at")
    assert again == first
    indicator = Indicator.objects.get(pk=indicator.pk)
    assert indicator.yearly_targets == {"2023": "90", "2024": "110", "2025": "118"}
    assert indicator.target_for(2024) == Decimal("110")
    sheet = restored.action_sheets.get(number=4)
    assert [(e.when, e.changes) for e in SheetHistory(sheet).entries()] == told_before
    assert IndicatorValue.objects.filter(indicator=indicator).count() == 1


def test_year_results_use_the_last_value_of_each_year(places):
    places.yearly_targets = {"2023": "92"}
    results = places.year_results(list(places.values.order_by("measured_on")))
    assert [(r.year, r.target, r.value, r.reached) for r in results] == [
        (2023, Decimal("92"), Decimal("92"), True),
        (2024, None, Decimal("99"), None),
        (2025, Decimal("120"), None, None),
    ]


def test_an_indicator_of_a_sheet_created_with_targets(client, coordinator, seeded, sheet):
    client.force_login(coordinator)
    data = sheet_edit_payload(sheet, steps=[], indicators=[])
    del data["version"], data["base"]
    data.update(
        {
            "number": 99,
            "title": "Nouvelle fiche",
            "indicators-TOTAL_FORMS": 1,
            "indicators-INITIAL_FORMS": 0,
            "indicators-0-label": "Places",
            "indicators-0-kind": "result",
            "indicators-0-decimals": "1",
            "indicators-0-target_2023": "12,5",
        }
    )
    response = client.post(reverse("actions:create", args=[SLUG]), data)
    assert response.status_code == 302, response.context["form"].errors
    indicator = Indicator.objects.get(sheet__convention=seeded, sheet__number=99)
    assert indicator.yearly_targets == {"2023": "12.5"}
