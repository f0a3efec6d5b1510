"""The sheet list: filters in the query string, search, sorting, lateness, next step."""

import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import ActionSheet

from .factories import (
    ActionSheetFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    ProgressNoteFactory,
    StepFactory,
    UserFactory,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# Date-dependent: "today" is frozen (a day inside the seed's period, 2023–2025).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS), tick=False),
]

SLUG = "thore-montagne-noire-2023-2025"
URL = reverse("actions:list", args=[SLUG])


def numbers(response):
    return [sheet.number for sheet in response.context["page"]]


def test_list_shows_the_16_sheets_in_order(client, coordinator):
    client.force_login(coordinator)
    response = client.get(URL)
    assert numbers(response) == list(range(1, 17))
    html = response.content.decode()
    assert "Harmoniser l’offre périscolaire et extrascolaire" in html
    assert "16 fiches actions" in html
    assert "à lancer" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"domaine": "Enfance"}, [1, 4, 5, 7]),
        ({"objectif": 5}, [11, 12, 13, 14]),
        ({"q": "numérique"}, [12, 13]),
        ({"q": "structures petite"}, [1, 3]),
        ({"statut": "in_progress"}, [4]),
        ({"priorite": "high"}, [4]),
        ({"retard": "on"}, [2, 3]),
        ({"pilote": "pilote"}, [1, 2, 3, 4]),
    ],
)
def test_filters(client, coordinator, pilot, seeded, query, expected):
    sheets = {s.number: s for s in seeded.action_sheets.all()}
    sheets[4].status, sheets[4].priority = "in_progress", "high"
    sheets[4].save()
    sheets[2].planned_end = datetime.date(2024, 1, 31)  # passed, not done: late
    sheets[2].save()
    StepFactory(sheet=sheets[3], due_on=datetime.date(2024, 2, 1))  # a step past due: late
    sheets[5].planned_end = datetime.date(2024, 1, 31)
    sheets[5].status, sheets[5].progress = "done", 100  # done: not late
    sheets[5].save()
    params = dict(query)
    if "domaine" in params:
        params["domaine"] = seeded.domains.get(name=params["domaine"]).pk
    if "objectif" in params:
        params["objectif"] = seeded.objectives.get(number=params["objectif"]).pk
    if "pilote" in params:
        params["pilote"] = pilot.pk
    client.force_login(coordinator)
    response = client.get(URL, params)
    assert numbers(response) == expected


def test_sorting(client, coordinator, seeded):
    for number, progress, end in [(3, 80, "2025-06-30"), (9, 50, "2024-06-30"), (12, 10, None)]:
        seeded.action_sheets.filter(number=number).update(
            progress=progress, planned_end=end, status="in_progress"
        )
    client.force_login(coordinator)
    assert numbers(client.get(URL, {"tri": "-progress"}))[:3] == [3, 9, 12]
    assert numbers(client.get(URL, {"tri": "progress"}))[-3:] == [12, 9, 3]
    assert numbers(client.get(URL, {"tri": "end"}))[:2] == [9, 3]
    assert numbers(client.get(URL, {"tri": "-end"}))[:2] == [3, 9]


def test_bad_filter_values_are_ignored_not_500(client, coordinator):
    client.force_login(coordinator)
    response = client.get(
        URL, {"objectif": "abc", "domaine": "999999", "statut": "nope", "tri": "x", "page": "zz"}
    )
    assert response.status_code == 200
    assert len(numbers(response)) == 16


def test_filters_are_kept_in_the_query_string(client, coordinator, seeded):
    client.force_login(coordinator)
    domain = seeded.domains.get(name="Enfance")
    response = client.get(URL, {"domaine": domain.pk, "q": "offre"})
    html = response.content.decode()
    assert f'<option value="{domain.pk}" selected>Enfance</option>' in html
    assert 'value="offre"' in html
    assert numbers(response) == [4]


def test_lateness_and_next_step_shown(client, coordinator, seeded):
    sheet = seeded.action_sheets.get(number=6)
    StepFactory(sheet=sheet, title="Questionnaire aux jeunes", due_on=datetime.date(2030, 1, 15))
    StepFactory(sheet=sheet, title="Restitution", due_on=datetime.date(2030, 6, 1))
    StepFactory(
        sheet=sheet,
        title="Déjà faite",
        due_on=datetime.date(2029, 1, 1),
        done_on=datetime.date(2024, 1, 2),
    )
    ActionSheet.objects.filter(pk=sheet.pk).update(planned_end=datetime.date(2024, 1, 1))
    client.force_login(coordinator)
    response = client.get(URL)
    row = next(s for s in response.context["page"] if s.number == 6)
    assert row.next_step_title == "Questionnaire aux jeunes"
    assert row.is_late
    html = response.content.decode()
    assert "Questionnaire aux jeunes" in html
    assert "15/01/2030" in html
    assert "en retard" in html


def test_archived_sheets_leave_the_list(client, coordinator, seeded):
    from django.utils import timezone

    seeded.action_sheets.filter(number=16).update(archived_at=timezone.now())
    client.force_login(coordinator)
    assert numbers(client.get(URL)) == list(range(1, 16))


def add_sheets(convention, count):
    """Many more sheets, each with pilots, steps, notes and indicator values."""
    objective = convention.objectives.first()
    users = [UserFactory() for _ in range(5)]
    for index in range(count):
        sheet = ActionSheetFactory(convention=convention, objective=objective, number=100 + index)
        sheet.pilots.add(users[index % 5], users[(index + 1) % 5])
        sheet.domains.add(convention.domains.first())
        StepFactory(sheet=sheet, due_on=datetime.date(2024, 1, 1))
        StepFactory(sheet=sheet, due_on=datetime.date(2030, 1, 1))
        ProgressNoteFactory(sheet=sheet)
        IndicatorValueFactory(indicator=IndicatorFactory(sheet=sheet))


def test_list_query_count_does_not_grow(client, coordinator, seeded):
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL, {"tri": "-progress"}).status_code == 200
    add_sheets(seeded, 284)  # 300 sheets
    with CaptureQueriesContext(connection) as large:
        response = client.get(URL, {"tri": "-progress"})
    assert response.context["page"].paginator.count == 300
    # 7: the session, the user, the membership, the count, the page's sheets, their pilots, and
    # the filters' choices (objectives, domains and pilots in one query).
    assert len(large) == len(small) <= 7, [q["sql"] for q in large.captured_queries]
    with CaptureQueriesContext(connection) as filtered:
        client.get(URL, {"retard": "on", "q": "Fiche", "domaine": seeded.domains.first().pk})
    assert len(filtered) <= 9  # and the values of the filters checked
