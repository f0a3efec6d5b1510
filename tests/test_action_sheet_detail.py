"""The sheet page: every field, steps, indicators with a chart, notes, quick forms."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actions.models import IndicatorValue
from committees.models import AgendaItem, Decision

from .factories import (
    IndicatorFactory,
    IndicatorValueFactory,
    ProgressNoteFactory,
    StepFactory,
)
from .helpers import once
from .test_action_sheet_list import add_sheets
from .test_committees import make_meeting
from .test_documents import make_document

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# Date-dependent: "today" is frozen (a day inside the seed's period, 2023–2025).

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS), tick=False),
]

SLUG = "thore-montagne-noire-2023-2025"
DETAIL = reverse("actions:detail", args=[SLUG, 4])


@pytest.fixture
def sheet(seeded):
    return seeded.action_sheets.get(number=4)


def test_detail_shows_the_sheet(client, elected, sheet, seeded):
    sheet.description = "Un état des lieux des accueils périscolaires."
    sheet.save()
    StepFactory(
        sheet=sheet,
        title="État des lieux",
        due_on=datetime.date(2023, 6, 30),
        done_on=datetime.date(2023, 6, 20),
    )
    StepFactory(sheet=sheet, title="Charte commune", due_on=datetime.date(2024, 1, 31))
    indicator = IndicatorFactory(sheet=sheet, label="Accueils labellisés", baseline=2, target=8)
    IndicatorValueFactory(indicator=indicator, measured_on=datetime.date(2023, 12, 31), value=3)
    IndicatorValueFactory(indicator=indicator, measured_on=datetime.date(2024, 12, 31), value=5)
    ProgressNoteFactory(sheet=sheet, text="Ancienne note", written_on=datetime.date(2023, 5, 1))
    ProgressNoteFactory(sheet=sheet, text="Nouvelle note", written_on=datetime.date(2024, 5, 1))
    client.force_login(elected)
    html = client.get(DETAIL).content.decode()
    assert sheet.title in html
    assert "Un état des lieux des accueils périscolaires." in html
    assert "Le soutien aux familles" in html  # the objective's enjeu
    assert "Enfance" in html
    assert "réalisée le 20/06/2023" in html
    assert "en retard" in html  # the second step is past due
    assert "<svg" in html and "<title" in html and "Accueils labellisés" in html
    assert "31/12/2024" in html
    assert html.index("Nouvelle note") < html.index("Ancienne note")  # newest first
    assert html.count("<h1") == 1


def test_add_a_note_changing_status_and_progress(client, pilot, sheet):
    client.force_login(pilot)
    response = client.post(
        reverse("actions:note_add", args=[SLUG, 4]),
        {
            "text": "Lancement du groupe de travail.",
            "written_on": "2024-03-12",
            "status": "in_progress",
            "progress": "30",
            "is_public": "on",
            "version": 1,
            "submission": once(),
        },
    )
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert (sheet.status, sheet.progress, sheet.version) == ("in_progress", 30, 2)
    note = sheet.notes.get()
    assert (note.author, note.is_public, note.written_on) == (
        pilot,
        True,
        datetime.date(2024, 3, 12),
    )
    record = sheet.history.order_by("-history_date", "-history_id").first()
    assert record.history_user == pilot


def test_note_alone_leaves_the_sheet(client, coordinator, sheet):
    client.force_login(coordinator)
    client.post(
        reverse("actions:note_add", args=[SLUG, 4]),
        {"text": "Rien de neuf.", "written_on": "2024-03-12", "version": 1, "submission": once()},
    )
    sheet.refresh_from_db()
    assert (sheet.status, sheet.version, sheet.notes.count()) == ("todo", 1, 1)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"text": "", "written_on": "2024-03-12"}, "text", "Ce champ est obligatoire"),
        ({"text": "x", "written_on": "2999-01-01"}, "written_on", "Cette date est dans le futur"),
        (
            {"text": "x", "written_on": "2024-03-12", "progress": "140"},
            "progress",
            "inférieure ou égale à 100",
        ),
        ({"text": "x", "written_on": "hier"}, "written_on", "Saisissez une date valide"),
    ],
)
def test_bad_note_answers_in_french_input_kept(client, coordinator, sheet, data, field, message):
    client.force_login(coordinator)
    data = {**data, "version": 1, "text": data["text"] or "", "submission": once()}
    response = client.post(reverse("actions:note_add", args=[SLUG, 4]), {**data, "is_public": "on"})
    assert response.status_code == 400
    assert message in " ".join(response.context["note_form"].errors[field])
    if data["text"]:
        assert 'name="text"' in response.content.decode()
    assert not sheet.notes.exists()


def test_note_with_stale_status_is_refused(client, coordinator, pilot, sheet):
    client.force_login(coordinator)
    client.post(
        reverse("actions:edit", args=[SLUG, 4]),
        __import__("tests.helpers", fromlist=["x"]).sheet_edit_payload(sheet, status="blocked"),
    )
    client.force_login(pilot)
    response = client.post(
        reverse("actions:note_add", args=[SLUG, 4]),
        {
            "text": "Ma note",
            "written_on": "2024-03-12",
            "status": "in_progress",
            "version": 1,
            "submission": once(),
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Ma note" in html
    assert "bloquée" in html
    sheet.refresh_from_db()
    assert sheet.status == "blocked" and not sheet.notes.exists()


def test_mark_a_step_done(client, pilot, sheet):
    step = StepFactory(sheet=sheet, title="Réunion des directeurs")
    client.force_login(pilot)
    response = client.post(
        reverse("actions:step_done", args=[SLUG, 4, step.pk]), {"done_on": "2024-02-01"}
    )
    assert response.status_code == 302
    step.refresh_from_db()
    assert step.done_on == datetime.date(2024, 2, 1)
    sheet.refresh_from_db()
    assert sheet.version == 2  # an open edit form will not undo it silently
    # Sent again (a double click, a reload): told so, nothing written a second time.
    response = client.post(
        reverse("actions:step_done", args=[SLUG, 4, step.pk]),
        {"done_on": "2024-02-03"},
        follow=True,
    )
    assert "Cette étape était déjà réalisée." in response.content.decode()
    step.refresh_from_db()
    assert step.done_on == datetime.date(2024, 2, 1)
    sheet.refresh_from_db()
    assert sheet.version == 2
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    other = StepFactory(sheet=sheet)
    response = client.post(
        reverse("actions:step_done", args=[SLUG, 4, other.pk]), {"done_on": future}
    )
    assert response.status_code == 400
    assert "Cette date est dans le futur" in response.content.decode()
    other.refresh_from_db()
    assert other.done_on is None


def test_record_indicator_values(client, pilot, sheet):
    indicator = IndicatorFactory(sheet=sheet)
    url = reverse("actions:value_add", args=[SLUG, 4, indicator.pk])
    prefix = f"value-{indicator.pk}"
    client.force_login(pilot)
    response = client.post(
        url,
        {
            f"{prefix}-measured_on": "2024-06-30",
            f"{prefix}-value": "17,5",
            f"{prefix}-comment": "bilan",
        },
    )
    assert response.status_code == 302
    assert indicator.values.get().value == Decimal("17.5")
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(url, {f"{prefix}-measured_on": future, f"{prefix}-value": "20"})
    assert response.status_code == 400
    assert "Cette date est dans le futur" in response.content.decode()
    response = client.post(url, {f"{prefix}-measured_on": "2024-06-30", f"{prefix}-value": "21"})
    assert response.status_code == 400
    assert "a déjà une valeur à cette date" in response.content.decode()
    response = client.post(url, {f"{prefix}-measured_on": "2024-07-30", f"{prefix}-value": "1e400"})
    assert response.status_code == 400
    assert IndicatorValue.objects.count() == 1


def test_sheet_page_query_count_does_not_grow(client, coordinator, seeded, sheet):
    def fill(count):
        for index in range(count):
            StepFactory(sheet=sheet, due_on=datetime.date(2024, 1, 1) + datetime.timedelta(index))
            indicator = IndicatorFactory(sheet=sheet)
            for day in range(3):
                IndicatorValueFactory(
                    indicator=indicator, measured_on=datetime.date(2023, 1, 1 + day + index % 20)
                )
            ProgressNoteFactory(sheet=sheet, author=coordinator)
            sheet.status = ["in_progress", "paused"][index % 2]
            sheet.save()
            # What the sections of the steering and the documents show (portal/sections.py).
            meeting = make_meeting(
                seeded, starts_at=datetime.datetime(2024, 1, 1, 10, tzinfo=PARIS)
            )
            item = AgendaItem.objects.create(meeting=meeting, position=1, title="Point")
            item.sheets.add(sheet)
            decision = Decision.objects.create(
                meeting=meeting,
                text="Relancer",
                owner=coordinator,
                due_on=datetime.date(2024, 2, 1),
            )
            decision.sheets.add(sheet)
            make_document(seeded, sheet=sheet)

    fill(2)
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as small:
        assert client.get(DETAIL).status_code == 200
    fill(40)
    add_sheets(seeded, 284)
    with CaptureQueriesContext(connection) as large:
        response = client.get(DETAIL)
    assert len(response.context["history"]) > 40
    # 10 (the summary's lists in one query, the indicators with their values in one), plus one
    # query per history table of the sheet's links (domains, pilots, partners…), plus the
    # sections: its meetings, its decisions, its documents and who may add one there.
    assert len(large) == len(small) <= 10 + 4 + 5, "\n".join(
        q["sql"][:100] for q in large.captured_queries
    )


def test_reloading_a_refused_post_goes_back_to_the_sheet(client, coordinator, sheet):
    client.force_login(coordinator)
    url = reverse("actions:note_add", args=[SLUG, 4])
    assert client.post(url, {"text": ""}).status_code == 400  # refused: the page is redrawn
    response = client.get(url)  # the user reloads that address
    assert response.status_code == 302
    assert response["Location"] == reverse("actions:detail", args=[SLUG, 4])
    response = client.put(url)
    assert response.status_code == 405
    assert "Action indisponible" in response.content.decode()
