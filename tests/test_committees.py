"""The meetings: models and their rules, the decision applied to sheets through the sheets' own
save, the pages (list, meeting, creation, edit, decisions), and the query-count guards."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import ActionSheet
from committees.forms import format_versions
from committees.models import AgendaItem, Attendance, Decision, Meeting
from conventions.models import Membership

from .factories import ActionSheetFactory, PartnerFactory, SignatoryFactory, UserFactory
from .helpers import once

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2025, 3, 10, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

SLUG = "thore-montagne-noire-2023-2025"
LIST = reverse("committees:list", args=[SLUG])
NBSP = "\u00a0"


def text(response):
    return response.content.decode().replace("&nbsp;", NBSP)


def make_meeting(convention, **fields):
    values = {
        "kind": Meeting.Kind.COPIL,
        "title": "COPIL de printemps",
        "starts_at": datetime.datetime(2025, 3, 14, 10, 0, tzinfo=PARIS),
        "place": "Mairie de Labruguière",
    }
    values.update(fields)
    return Meeting.objects.create(convention=convention, **values)


def sheet_of(convention, number):
    return ActionSheet.objects.get(convention=convention, number=number)


def meeting_url(name, meeting, *args):
    return reverse(f"committees:{name}", args=[meeting.convention.slug, meeting.pk, *args])


def versions_of(convention):
    return format_versions(
        dict(ActionSheet.objects.filter(convention=convention).values_list("pk", "version"))
    )


def decision_payload(convention, **fields):
    data = {
        "text": "Lancer l’action dès avril.",
        "sheets": [],
        "owner": "",
        "due_on": "",
        "new_status": "",
        "pilot_to_add": "",
        "new_planned_start": "",
        "new_planned_end": "",
        "sheet_versions": versions_of(convention),
        "submission": once(),
    }
    data.update(fields)
    return data


@pytest.fixture
def meeting(seeded):
    return make_meeting(seeded)


# --- models and rules ------------------------------------------------------------------------


def test_upcoming_and_past_split_at_now(seeded):
    past = make_meeting(seeded, starts_at=NOW - datetime.timedelta(days=1))
    upcoming = make_meeting(seeded, starts_at=NOW + datetime.timedelta(days=1))
    assert list(Meeting.objects.upcoming(NOW)) == [upcoming]
    assert list(Meeting.objects.past(NOW)) == [past]


def test_list_order_upcoming_soonest_first_then_past_latest_first(seeded):
    days = [-30, 5, -2, 40, 1]
    meetings = {d: make_meeting(seeded, starts_at=NOW + datetime.timedelta(days=d)) for d in days}
    ordered = list(Meeting.objects.upcoming_first(NOW))
    assert ordered == [meetings[d] for d in (1, 5, 40, -2, -30)]
    assert [m.is_upcoming for m in ordered] == [True, True, True, False, False]


def test_overdue_decision_is_open_and_past_due(meeting):
    late = Decision.objects.create(meeting=meeting, text="a", due_on=TODAY - datetime.timedelta(1))
    Decision.objects.create(meeting=meeting, text="b", due_on=TODAY)
    Decision.objects.create(
        meeting=meeting, text="c", due_on=TODAY - datetime.timedelta(1), state="done"
    )
    Decision.objects.create(meeting=meeting, text="d")
    assert list(Decision.objects.overdue(TODAY)) == [late]
    assert Decision.objects.open().count() == 3
    flags = dict(Decision.objects.with_overdue(TODAY).values_list("text", "is_overdue"))
    assert flags == {"a": True, "b": False, "c": False, "d": False}
    counted = Meeting.objects.with_decision_counts(TODAY).get()
    assert (counted.decision_count, counted.open_decision_count) == (4, 3)
    assert counted.overdue_decision_count == 1


def test_attendance_is_a_member_or_an_organisation_not_both(meeting, coordinator):
    partner = PartnerFactory()
    with pytest.raises(ValidationError) as error:
        Attendance(meeting=meeting, user=coordinator, partner=partner).full_clean()
    assert "Choisissez un membre ou une organisation" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(meeting=meeting)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(meeting=meeting, user=coordinator, partner=partner)


def test_attendance_unique_per_member_and_per_organisation(meeting, coordinator):
    partner = PartnerFactory()
    Attendance.objects.create(meeting=meeting, user=coordinator)
    Attendance.objects.create(meeting=meeting, partner=partner)
    with pytest.raises(ValidationError) as error:
        Attendance(meeting=meeting, user=coordinator).full_clean()
    assert "déjà" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(meeting=meeting, partner=partner)


def test_links_stay_within_the_meeting_convention(meeting, other_convention):
    item = AgendaItem.objects.create(meeting=meeting, title="Point")
    foreign = ActionSheetFactory(convention=other_convention, number=1)
    with pytest.raises(ValidationError, match="même convention"), transaction.atomic():
        item.sheets.add(foreign)
    with pytest.raises(ValidationError, match="même convention"), transaction.atomic():
        foreign.agenda_items.add(item)
    with pytest.raises(ValidationError, match="même convention"), transaction.atomic():
        item.objectives.add(foreign.objective)
    decision = Decision.objects.create(meeting=meeting, text="x")
    with pytest.raises(ValidationError, match="même convention"), transaction.atomic():
        decision.sheets.add(foreign)
    with pytest.raises(ValidationError, match="même convention"), transaction.atomic():
        foreign.decisions.add(decision)
    own = sheet_of(meeting.convention, 1)
    item.sheets.add(own)
    own.decisions.add(decision)
    assert list(item.sheets.all()) == [own] and list(decision.sheets.all()) == [own]


def test_decision_dates_in_order(meeting):
    decision = Decision(
        meeting=meeting,
        text="x",
        new_planned_start=datetime.date(2025, 6, 1),
        new_planned_end=datetime.date(2025, 5, 1),
    )
    with pytest.raises(ValidationError, match="ne doit pas précéder"):
        decision.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        decision.save()


def test_reason_and_label_name_the_meeting(seeded):
    copil = make_meeting(seeded)
    assert copil.decision_reason() == "décision du COPIL du 14/03/2025"
    assert copil.label == "COPIL du 14/03/2025"
    late_evening = make_meeting(
        seeded,
        kind=Meeting.Kind.COTECH,
        starts_at=datetime.datetime(2025, 3, 14, 23, 30, tzinfo=datetime.UTC),
    )
    # 23 h 30 UTC is the next day in Paris: the French date.
    assert late_evening.decision_reason() == "décision du COTECH du 15/03/2025"


# --- pages -----------------------------------------------------------------------------------


def test_list_shows_upcoming_then_past_with_filters(client, elected, seeded):
    make_meeting(
        seeded, title="COPIL passé", starts_at=datetime.datetime(2024, 11, 5, 14, 0, tzinfo=PARIS)
    )
    make_meeting(seeded, title="COTECH à venir", kind="cotech")
    client.force_login(elected)
    response = client.get(LIST)
    assert response.status_code == 200
    html = text(response)
    assert html.index("Instances à venir") < html.index("COTECH à venir")
    assert (
        html.index("COTECH à venir") < html.index("Instances passées") < html.index("COPIL passé")
    )
    assert "05/11/2024 à 14 h 00" in html
    filtered = text(client.get(LIST, {"type": "copil", "annee": "2024"}))
    assert "COPIL passé" in filtered and "COTECH à venir" not in filtered
    # A stale or forged filter is ignored, never a 500.
    assert client.get(LIST, {"type": "zzz", "annee": "abc", "page": "x"}).status_code == 200
    assert 'href="/conventions/thore-montagne-noire-2023-2025/instances/"' in html


def test_list_is_paginated(client, elected, seeded):
    for day in range(35):
        make_meeting(seeded, starts_at=NOW + datetime.timedelta(days=day + 1), title=f"R{day}")
    client.force_login(elected)
    first = client.get(LIST)
    assert len(first.context["page"].object_list) == 30
    second = client.get(LIST, {"page": 2})
    assert len(second.context["page"].object_list) == 5
    assert "Page 2 sur 2" in text(second)


def test_meeting_page_shows_live_sheets_attendance_and_decisions(
    client, pilot, coordinator, meeting
):
    convention = meeting.convention
    sheet = sheet_of(convention, 3)
    sheet.status, sheet.progress = "in_progress", 40
    sheet.planned_end = datetime.date(2025, 1, 31)  # past: late
    sheet.save()
    item = AgendaItem.objects.create(meeting=meeting, title="Point d’étape petite enfance")
    item.sheets.add(sheet)
    item.objectives.add(sheet.objective)
    partner = PartnerFactory(name="Mairie de Dourgne")
    Attendance.objects.create(meeting=meeting, user=coordinator, status="present")
    Attendance.objects.create(meeting=meeting, partner=partner, status="excused")
    decision = Decision.objects.create(
        meeting=meeting,
        text="Relancer le RAM.",
        owner=coordinator,
        due_on=datetime.date(2025, 3, 1),
    )
    decision.sheets.add(sheet)
    client.force_login(pilot)
    response = client.get(meeting_url("detail", meeting))
    assert response.status_code == 200
    html = text(response)
    assert "COPIL du 14/03/2025" in html and "14/03/2025 à 10 h 00" in html
    assert "Point d’étape petite enfance" in html
    assert "en cours" in html and f"40{NBSP}%" in html and "en retard" in html
    assert "Présent (1)" in html and "Excusé (1)" in html and "Mairie de Dourgne" in html
    assert "Relancer le RAM." in html and "échue" in html and "01/03/2025" in html
    # Readers see no form.
    assert 'id="decision-form"' not in html and "/modifier/" not in html


def test_coordinator_creates_a_meeting_with_agenda_and_attendance(
    client, coordinator, pilot, seeded
):
    partner = SignatoryFactory(convention=seeded).partner
    sheet = sheet_of(seeded, 2)
    client.force_login(coordinator)
    page = client.get(reverse("committees:create", args=[SLUG]))
    assert page.status_code == 200
    data = meeting_payload(
        agenda=[{"title": "Bilan 2024", "sheets": [sheet.pk], "position": ""}],
        attendance=[
            {"user": pilot.pk, "status": "invited"},
            {"partner": partner.pk, "status": "present"},
        ],
    )
    response = client.post(reverse("committees:create", args=[SLUG]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    meeting = Meeting.objects.get()
    assert meeting.starts_at == datetime.datetime(2025, 3, 14, 10, 0, tzinfo=PARIS)
    assert list(meeting.agenda_items.values_list("title", "position")) == [("Bilan 2024", 1)]
    assert list(meeting.agenda_items.get().sheets.all()) == [sheet]
    assert meeting.attendances.count() == 2
    assert meeting.history.get().history_user == coordinator
    # The same post again (a double click, a reload): written once.
    again = client.post(reverse("committees:create", args=[SLUG]), data)
    assert again.status_code == 302 and Meeting.objects.count() == 1


def meeting_payload(meeting=None, agenda=(), attendance=(), **fields):
    data = {
        "kind": "copil",
        "title": "COPIL de printemps",
        "starts_at": "2025-03-14T10:00",
        "place": "Mairie",
        "state": "planned",
        "minutes": "",
        "submission": once(),
    }
    if meeting is not None:
        data["version"] = meeting.version
    items = list(agenda)
    rows = list(attendance)
    existing_items = list(meeting.agenda_items.order_by("position", "pk")) if meeting else []
    existing_rows = list(meeting.attendances.order_by("pk")) if meeting else []
    data["agenda-TOTAL_FORMS"] = len(existing_items) + len(items)
    data["agenda-INITIAL_FORMS"] = len(existing_items)
    for index, item in enumerate(existing_items):
        data[f"agenda-{index}-id"] = item.pk
        data[f"agenda-{index}-title"] = item.title
        data[f"agenda-{index}-position"] = item.position
        data[f"agenda-{index}-notes"] = item.notes
        data[f"agenda-{index}-sheets"] = [s.pk for s in item.sheets.all()]
        data[f"agenda-{index}-objectives"] = [o.pk for o in item.objectives.all()]
    for offset, item in enumerate(items):
        index = len(existing_items) + offset
        for name, value in item.items():
            data[f"agenda-{index}-{name}"] = value
    data["attendance-TOTAL_FORMS"] = len(existing_rows) + len(rows)
    data["attendance-INITIAL_FORMS"] = len(existing_rows)
    for index, row in enumerate(existing_rows):
        data[f"attendance-{index}-id"] = row.pk
        data[f"attendance-{index}-user"] = row.user_id or ""
        data[f"attendance-{index}-partner"] = row.partner_id or ""
        data[f"attendance-{index}-status"] = row.status
    for offset, row in enumerate(rows):
        index = len(existing_rows) + offset
        data[f"attendance-{index}-status"] = "invited"
        for name, value in row.items():
            data[f"attendance-{index}-{name}"] = value
    data.update(fields)
    return data


@pytest.mark.parametrize(
    "case",
    ["outsider_member", "foreign_sheet", "foreign_objective", "forged_row", "both", "twice"],
)
def test_forged_choices_are_french_errors_and_write_nothing(
    client, coordinator, outsider, other_convention, meeting, case
):
    foreign = ActionSheetFactory(convention=other_convention, number=1)
    other_meeting = make_meeting(other_convention)
    other_row = Attendance.objects.create(meeting=other_meeting, user=outsider)
    Attendance.objects.create(meeting=meeting, user=coordinator)
    meeting.refresh_from_db()
    rows = {
        "outsider_member": ([], [{"user": outsider.pk}]),
        "foreign_sheet": ([{"title": "Point", "sheets": [foreign.pk]}], []),
        "foreign_objective": ([{"title": "Point", "objectives": [foreign.objective_id]}], []),
        "forged_row": ([], []),
        "both": ([], [{"user": coordinator.pk, "partner": PartnerFactory().pk}]),
        "twice": ([], [{"user": coordinator.pk}]),
    }[case]
    data = meeting_payload(meeting, agenda=rows[0], attendance=rows[1], title="Nouveau titre")
    if case == "forged_row":
        data["attendance-0-id"] = other_row.pk
        data["attendance-0-status"] = "present"
    client.force_login(coordinator)
    response = client.post(meeting_url("edit", meeting), data)
    assert response.status_code == 400
    html = text(response)
    assert any(
        phrase in html
        for phrase in ("Sélectionnez un choix valide", "une organisation", "deux fois")
    ), html[html.find("error-summary") : html.find("error-summary") + 800]
    meeting.refresh_from_db()
    assert meeting.title == "COPIL de printemps" and meeting.version == 1
    assert not meeting.agenda_items.exists()
    assert list(meeting.attendances.values_list("user", "status")) == [(coordinator.pk, "invited")]
    other_row.refresh_from_db()
    assert other_row.status == "invited" and other_row.meeting == other_meeting


def test_edit_renumbers_the_agenda_and_moves_the_version(client, coordinator, meeting):
    first = AgendaItem.objects.create(meeting=meeting, title="Premier", position=1)
    client.force_login(coordinator)
    data = meeting_payload(meeting, agenda=[{"title": "Avant tout", "position": "1"}])
    data["agenda-0-position"] = "2"
    response = client.post(meeting_url("edit", meeting), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.version == 2
    assert list(meeting.agenda_items.values_list("title", "position")) == [
        ("Avant tout", 1),
        ("Premier", 2),
    ]
    first.refresh_from_db()
    assert first.position == 2


def test_stale_meeting_edit_is_refused_with_what_changed(client, coordinator, meeting):
    client.force_login(coordinator)
    stale = meeting_payload(meeting, title="Mon titre")
    colleague = meeting_payload(meeting, place="Salle des fêtes de Sorèze")
    assert client.post(meeting_url("edit", meeting), colleague).status_code == 302
    response = client.post(meeting_url("edit", meeting), stale)
    assert response.status_code == 409
    html = text(response)
    assert f"Lieu{NBSP}: Mairie de Labruguière → Salle des fêtes de Sorèze" in html
    assert "Cette instance a été enregistrée par quelqu’un d’autre" in html
    meeting.refresh_from_db()
    assert meeting.title == "COPIL de printemps" and meeting.version == 2
    # The form now carries the current version: saving again applies the user's input.
    again = dict(stale, version=2, submission=once())
    assert client.post(meeting_url("edit", meeting), again).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.place, meeting.version) == ("Mon titre", "Mairie", 3)


def test_double_submit_of_an_edit_writes_once(client, coordinator, meeting):
    client.force_login(coordinator)
    data = meeting_payload(meeting, title="Titre corrigé")
    assert client.post(meeting_url("edit", meeting), data).status_code == 302
    response = client.post(meeting_url("edit", meeting), data, follow=True)
    assert "déjà été enregistrées" in text(response)
    meeting.refresh_from_db()
    assert meeting.version == 2 and meeting.history.count() == 2


# --- decisions -------------------------------------------------------------------------------


def test_decision_changes_sheets_through_their_save(client, coordinator, pilot, meeting):
    convention = meeting.convention
    sheets = [sheet_of(convention, 5), sheet_of(convention, 6)]
    before = {s.pk: s.version for s in sheets}
    client.force_login(coordinator)
    data = decision_payload(
        convention,
        sheets=[s.pk for s in sheets],
        owner=coordinator.pk,
        due_on="2025-04-30",
        new_status="in_progress",
        pilot_to_add=pilot.pk,
        new_planned_start="2025-04-01",
        new_planned_end="2025-12-31",
    )
    response = client.post(meeting_url("decision_add", meeting), data)
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.applied_at is not None and set(decision.sheets.all()) == set(sheets)
    for sheet in sheets:
        sheet.refresh_from_db()
        assert sheet.status == "in_progress"
        assert sheet.planned_start == datetime.date(2025, 4, 1)
        assert sheet.planned_end == datetime.date(2025, 12, 31)
        assert pilot in sheet.pilots.all()
        assert sheet.version == before[sheet.pk] + 1
        record = sheet.history.order_by("-history_id").first()
        assert record.history_change_reason == "décision du COPIL du 14/03/2025"
        assert record.history_user == coordinator
        # One record for the change, the pilot included.
        assert record.version == sheet.version
    # The meeting page tells the change applied; the sheet's history names the meeting.
    html = text(client.get(meeting_url("detail", meeting)))
    assert "Appliquée aux fiches le 10/03/2025" in html
    sheet_page = text(client.get(f"/conventions/{convention.slug}/fiches/5/"))
    entry = sheet_page.split("à lancer → en cours")[1].split("</li>")[0]
    assert '<span class="history-reason">(décision du COPIL du 14/03/2025)</span>' in entry
    # Posted again: written once.
    again = client.post(meeting_url("decision_add", meeting), data, follow=True)
    assert "déjà été enregistrée" in text(again)
    assert Decision.objects.count() == 1
    assert sheet_of(convention, 5).version == before[sheets[0].pk] + 1


def test_decision_on_a_sheet_saved_meanwhile_is_refused_with_what_changed(
    client, coordinator, meeting
):
    convention = meeting.convention
    sheet = sheet_of(convention, 5)
    data = decision_payload(convention, sheets=[sheet.pk], new_status="abandoned")
    # A colleague saves the sheet after the form was opened.
    client.force_login(coordinator)
    from actions.models import one_history_record
    from actions.services import claim_version

    claim_version(sheet, sheet.version)
    with one_history_record(sheet):
        sheet.status = "paused"
        sheet.save()
    response = client.post(meeting_url("decision_add", meeting), data)
    assert response.status_code == 409
    html = text(response)
    assert "Fiche 5" in html and "en pause" in html
    assert not Decision.objects.exists()
    sheet.refresh_from_db()
    assert sheet.status == "paused"
    # The form carries the current version now: recording again applies it knowingly.
    form = response.context["decision_form"]
    assert f"{sheet.pk}:{sheet.version}" in form.data["sheet_versions"]
    again = client.post(meeting_url("decision_add", meeting), form.data)
    assert again.status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == "abandoned"


def test_a_sheet_edit_opened_before_a_decision_does_not_undo_it(client, coordinator, meeting):
    """The decision moved the sheet's version: an edit opened before it is merged with it
    (the sheet's own merge), it never silently undoes the decision."""
    from .helpers import sheet_edit_payload

    convention = meeting.convention
    sheet = sheet_of(convention, 7)
    edit = sheet_edit_payload(sheet, title="Titre modifié")
    client.force_login(coordinator)
    data = decision_payload(convention, sheets=[sheet.pk], new_status="blocked")
    assert client.post(meeting_url("decision_add", meeting), data).status_code == 302
    response = client.post(reverse("actions:edit", args=[SLUG, 7]), edit)
    assert response.status_code == 302  # merged: only the title was changed on that side
    sheet.refresh_from_db()
    assert (sheet.title, sheet.status) == ("Titre modifié", "blocked")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"owner": "OUTSIDER"}, "Sélectionnez un choix valide"),
        ({"pilot_to_add": "OUTSIDER"}, "Sélectionnez un choix valide"),
        ({"sheets": ["FOREIGN"]}, "Sélectionnez un choix valide"),
        ({"sheets": ["999999999999999999999999"]}, "Sélectionnez un choix valide"),
        ({"new_status": "in_progress"}, "Choisissez les fiches"),
        ({"new_planned_start": "2025-06-01", "new_planned_end": "2025-05-01"}, "ne doit pas"),
        ({"sheet_versions": "abc"}, "Ce formulaire a expiré"),
        ({"text": ""}, "Ce champ est obligatoire"),
    ],
)
def test_bad_decisions_are_french_errors_and_write_nothing(
    client, coordinator, outsider, other_convention, meeting, fields, message
):
    foreign = ActionSheetFactory(convention=other_convention, number=1)
    fields = {
        name: (
            outsider.pk
            if value == "OUTSIDER"
            else [foreign.pk if v == "FOREIGN" else v for v in value]
            if isinstance(value, list)
            else value
        )
        for name, value in fields.items()
    }
    client.force_login(coordinator)
    data = decision_payload(meeting.convention, **fields)
    if "new_planned_start" in fields:
        data["sheets"] = [sheet_of(meeting.convention, 1).pk]
    response = client.post(meeting_url("decision_add", meeting), data)
    assert response.status_code == 400
    assert message in text(response)
    assert not Decision.objects.exists()
    assert not ActionSheet.objects.filter(convention=meeting.convention, version__gt=1).exists()


def test_decision_breaking_a_sheet_rule_is_refused(client, coordinator, meeting):
    sheet = sheet_of(meeting.convention, 1)
    sheet.planned_start = datetime.date(2025, 6, 1)
    sheet.save()
    client.force_login(coordinator)
    data = decision_payload(meeting.convention, sheets=[sheet.pk], new_planned_end="2025-05-01")
    response = client.post(meeting_url("decision_add", meeting), data)
    assert response.status_code == 400
    assert "Fiche 1 : La fin prévue ne peut pas précéder le début prévu." in text(response)
    assert not Decision.objects.exists()
    sheet.refresh_from_db()
    assert sheet.planned_end is None and sheet.version == 1


def test_decision_on_an_archived_sheet_is_refused(client, coordinator, meeting):
    from actions.services import set_archived

    sheet = sheet_of(meeting.convention, 1)
    Decision.objects.create(meeting=meeting, text="déjà là").sheets.add(sheet)
    set_archived(sheet, True)
    decision = Decision.objects.get()
    client.force_login(coordinator)
    data = decision_payload(
        meeting.convention,
        sheets=[sheet.pk],
        new_status="in_progress",
        version=decision.version,
        sheet_versions=versions_of(meeting.convention),
    )
    response = client.post(meeting_url("decision_edit", meeting, decision.pk), data)
    assert response.status_code == 400
    assert "archivée" in text(response)
    decision.refresh_from_db()
    assert decision.applied_at is None and decision.version == 1


def test_decision_edit_and_stale_edit(client, coordinator, elected, meeting):
    decision = Decision.objects.create(meeting=meeting, text="Texte initial")
    client.force_login(coordinator)
    page = client.get(meeting_url("decision_edit", meeting, decision.pk))
    assert page.status_code == 200
    mine = decision_payload(meeting.convention, text="Ma version", version=1)
    theirs = decision_payload(meeting.convention, owner=elected.pk, text="Texte initial", version=1)
    assert (
        client.post(meeting_url("decision_edit", meeting, decision.pk), theirs).status_code == 302
    )
    response = client.post(meeting_url("decision_edit", meeting, decision.pk), mine)
    assert response.status_code == 409
    html = text(response)
    assert f"Responsable{NBSP}: — → {elected.get_full_name()}" in html
    assert "Cette décision a été enregistrée par quelqu’un d’autre" in html
    decision.refresh_from_db()
    assert decision.text == "Texte initial" and decision.owner == elected
    again = dict(mine, version=2, submission=once())
    assert client.post(meeting_url("decision_edit", meeting, decision.pk), again).status_code == 302
    decision.refresh_from_db()
    assert decision.text == "Ma version" and decision.version == 3


def test_applied_decision_keeps_its_change(client, coordinator, pilot, meeting):
    convention = meeting.convention
    sheet = sheet_of(convention, 8)
    client.force_login(coordinator)
    client.post(
        meeting_url("decision_add", meeting),
        decision_payload(convention, sheets=[sheet.pk], new_status="in_progress"),
    )
    decision = Decision.objects.get()
    sheet.refresh_from_db()
    version = sheet.version
    # An edit posting another change: the disabled fields keep what was applied.
    data = decision_payload(
        convention, text="Texte revu", new_status="abandoned", sheets=[], version=1
    )
    assert client.post(meeting_url("decision_edit", meeting, decision.pk), data).status_code == 302
    decision.refresh_from_db()
    sheet.refresh_from_db()
    assert decision.text == "Texte revu" and decision.new_status == "in_progress"
    assert list(decision.sheets.all()) == [sheet]
    assert sheet.status == "in_progress" and sheet.version == version


def test_decision_state_is_explicit_and_once(client, coordinator, meeting):
    decision = Decision.objects.create(meeting=meeting, text="À faire")
    client.force_login(coordinator)
    url = meeting_url("decision_state", meeting, decision.pk)
    assert client.post(url, {"state": "done"}).status_code == 302
    response = client.post(url, {"state": "done"}, follow=True)
    assert "déjà réalisée" in text(response)
    decision.refresh_from_db()
    assert decision.state == "done" and decision.version == 2
    assert decision.history.count() == 2
    assert client.post(url, {"state": "nope"}).status_code == 400
    assert client.get(url).status_code == 302  # back to the meeting


def test_a_decision_of_another_meeting_is_404(client, coordinator, meeting, seeded):
    other = make_meeting(seeded, title="Autre")
    decision = Decision.objects.create(meeting=other, text="x")
    client.force_login(coordinator)
    assert client.get(meeting_url("decision_edit", meeting, decision.pk)).status_code == 404
    url = meeting_url("decision_state", meeting, decision.pk)
    assert client.post(url, {"state": "done"}).status_code == 404
    huge = reverse("committees:detail", args=[SLUG, 2**70])
    assert client.get(huge).status_code == 404


def test_meeting_of_another_convention_is_404(client, coordinator, other_convention):
    foreign = make_meeting(other_convention)
    client.force_login(coordinator)
    url = reverse("committees:detail", args=[SLUG, foreign.pk])
    assert client.get(url).status_code == 404


def test_pilot_may_not_record_decisions(client, pilot, meeting):
    client.force_login(pilot)
    data = decision_payload(meeting.convention)
    assert client.post(meeting_url("decision_add", meeting), data).status_code == 403
    assert not Decision.objects.exists()


def test_nav_names_the_meetings(client, elected, seeded):
    client.force_login(elected)
    html = text(client.get(reverse("portal:dashboard", args=[SLUG])))
    assert f'href="{LIST}">Instances<' in html


# --- query-count guards ----------------------------------------------------------------------


def populate(convention, count, coordinator):
    sheets = list(ActionSheet.objects.filter(convention=convention)[:4])
    for index in range(count):
        meeting = make_meeting(
            convention, starts_at=NOW + datetime.timedelta(days=index - count // 2)
        )
        item = AgendaItem.objects.create(meeting=meeting, title=f"Point {index}")
        item.sheets.add(*sheets)
        Attendance.objects.create(meeting=meeting, user=coordinator, status="present")
        decision = Decision.objects.create(
            meeting=meeting, text=f"Décision {index}", owner=coordinator, due_on=TODAY
        )
        decision.sheets.add(*sheets[:2])
    return meeting


def queries_of(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("persona", ["elected", "coordinator"])
def test_query_counts_do_not_grow_with_meetings(request, client, seeded, coordinator, persona):
    client.force_login(request.getfixturevalue(persona))
    Membership.objects.get_or_create(
        user=UserFactory(username="membre-en-plus"),
        convention=seeded,
        defaults={"role": "pilot"},
    )
    last = populate(seeded, 5, coordinator)
    small_list = queries_of(client, LIST)
    small_page = queries_of(client, meeting_url("detail", last))
    last = populate(seeded, 195, coordinator)
    assert queries_of(client, LIST) == small_list
    assert queries_of(client, LIST + "?page=3") == small_list
    assert queries_of(client, meeting_url("detail", last)) == small_page


def test_a_stale_sheet_edit_of_the_status_a_decision_changed_is_refused(
    client, coordinator, meeting
):
    from .helpers import sheet_edit_payload

    convention = meeting.convention
    sheet = sheet_of(convention, 9)
    edit = sheet_edit_payload(sheet, status="paused")
    client.force_login(coordinator)
    data = decision_payload(convention, sheets=[sheet.pk], new_status="blocked")
    assert client.post(meeting_url("decision_add", meeting), data).status_code == 302
    response = client.post(reverse("actions:edit", args=[SLUG, 9]), edit)
    assert response.status_code == 409  # both changed the status: the user chooses
    sheet.refresh_from_db()
    assert sheet.status == "blocked" and sheet.version == 2
