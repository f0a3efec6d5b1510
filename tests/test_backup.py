"""export_convention / import_convention: a convention round-trips identically, history too."""

import base64
import io
import json
import shutil
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from actions.history import SheetHistory
from actions.models import ActionSheet, Indicator
from bilans.models import SheetReview, YearBilan
from bilans.queries import state_history
from bilans.services import reopen_review
from committees.models import Meeting
from conventions.models import Convention
from documents.models import Document
from documents.services import delete_document
from evaluations.models import Evaluation, ObjectiveEvaluation
from funding.reports import funding_table
from operations.backup import export_convention
from portal.dashboard import build_dashboard

from .helpers import once, sheet_edit_payload

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The documents' files (seed_demo writes two) under a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def figures(convention):
    dashboard = build_dashboard(convention)
    table = funding_table(convention)
    return (
        dashboard.sheet_count,
        dashboard.average_progress,
        [(v, n) for v, _l, n in dashboard.status_counts],
        table.per_year,
        table.total,
        [(r.line.label, r.paid) for r in table.rows],
    )


def told(convention):
    """The history of sheet 4 as its page tells it."""
    sheet = convention.action_sheets.get(number=4)
    return [(e.when, e.author, e.changes) for e in SheetHistory(sheet).entries()]


def steering(convention):
    """The convention's meetings, decisions and documents as the pages read them."""
    meetings = [
        (
            m.starts_at,
            m.kind,
            m.title,
            m.minutes,
            m.is_public,
            [(a.user_id, a.partner_id, a.status) for a in m.attendances.order_by("pk")],
            [
                (
                    i.position,
                    i.title,
                    sorted(i.objectives.values_list("pk", flat=True)),
                    sorted(i.sheets.values_list("number", flat=True)),
                )
                for i in m.agenda_items.all()
            ],
            [
                (
                    d.text,
                    d.state,
                    d.due_on,
                    d.owner_id,
                    d.applied_at,
                    sorted(d.sheets.values_list("number", flat=True)),
                )
                for d in m.decisions.all()
            ],
            m.history.count(),
        )
        for m in Meeting.objects.filter(convention=convention).order_by("starts_at")
    ]
    documents = [
        (
            d.title,
            d.kind,
            d.file.name,
            d.url,
            d.original_name,
            d.size,
            d.sheet_id,
            d.meeting_id,
            d.funding_year,
            d.publishable,
            d.deleted_at,
            d.history.count(),
        )
        for d in Document.all_objects.filter(convention=convention).order_by("pk")
    ]
    return meetings, documents


def bilans_told(convention):
    """The convention's reviews, years' syntheses and evaluation as the pages read them (state
    history included), without ids; with the records of the answers and the indicators each
    rested on."""
    reviews = [
        (
            r.sheet.number,
            r.year,
            r.state,
            r.achievements,
            r.difficulties,
            r.adjustments,
            r.proposed_status,
            r.comment,
            r.submitted_by and r.submitted_by.username,
            r.submitted_at,
            r.validated_by and r.validated_by.username,
            r.validated_at,
            r.validated_meeting and r.validated_meeting.label,
            r.version,
            [(e.moment, e.author, e.state) for e in state_history(r)],
        )
        for r in SheetReview.objects.filter(sheet__convention=convention).order_by(
            "year", "sheet__number"
        )
    ]
    syntheses = [
        (b.year, b.synthesis, b.version, [h.history_date for h in b.history.order_by("pk")])
        for b in YearBilan.objects.filter(convention=convention).order_by("year")
    ]
    evaluation = Evaluation.objects.filter(convention=convention).first()
    if evaluation is None:
        return reviews, syntheses, None, []
    # The indicators each record of an answer rested on (one deleted since shown as "?").
    links = ObjectiveEvaluation.history.model.indicators.model.objects.filter(
        history__evaluation_id=evaluation.pk
    )
    rested = defaultdict(list)
    for history_id, indicator_id in links.values_list("history_id", "indicator_id"):
        rested[history_id].append(indicator_id)
    labels = dict(Indicator.objects.values_list("pk", "label"))
    answers = [
        (
            a.objective.number,
            a.question,
            a.rating,
            a.evidence,
            a.version,
            sorted(a.indicators.values_list("label", flat=True)),
            [
                (h.history_date, h.rating, sorted(labels.get(i, "?") for i in rested[h.pk]))
                for h in a.history.order_by("history_date", "history_id")
            ],
        )
        for a in ObjectiveEvaluation.objects.filter(evaluation=evaluation).order_by(
            "objective__number", "question"
        )
    ]
    evaluation = (
        evaluation.conclusion,
        evaluation.recommendations,
        evaluation.version,
        evaluation.history.count(),
    )
    return reviews, syntheses, evaluation, answers


def without_date(text):
    data = json.loads(text)
    data.pop("exported_at")
    return data


def test_round_trip_is_identical(client, seeded, coordinator, tmp_path, media):
    call_command("seed_demo", "--force", stdout=io.StringIO())
    client.force_login(coordinator)
    sheet = seeded.action_sheets.get(number=4)
    client.post(
        reverse("actions:edit", args=[SLUG, 4]),
        sheet_edit_payload(sheet, status="in_progress", progress=45, pilots=[coordinator.pk]),
    )
    client.post(
        reverse("funding:payment_add", args=[SLUG]),
        {
            "line": seeded.funding_lines.first().pk,
            "year": 2024,
            "amount": "1000",
            "paid_on": "2024-03-15",
            "kind": "advance",
            "submission": once(),
        },
    )
    # A review reopened by the coordinator: its history tells it, the backup carries it.
    review = SheetReview.objects.get(sheet__convention=seeded, sheet__number=13, year=2024)
    assert reopen_review(review, review.version, coordinator)
    # A document deleted since (recoverable by the admin): the backup carries it too.
    deleted = Document.objects.get(convention=seeded, funding_year=2024)
    assert delete_document(deleted, coordinator)
    steering_before = steering(seeded)
    bilans_before = bilans_told(seeded)
    # The demonstration's bilans and evaluation are there to be carried.
    assert len(bilans_before[0]) == 16 * 2 + 12 and bilans_before[2] is not None
    assert any(answer[5] for answer in bilans_before[3])
    reopened = next(r for r in bilans_before[0] if r[:2] == (13, 2024))
    assert reopened[2] == "draft"
    assert [e[2] for e in reopened[-1]] == ["submitted", "validated", "reopened"]
    seeded.refresh_from_db()
    before_figures = figures(seeded)
    told_before = told(seeded)
    assert any(c.label == "Pilotes" for _w, _a, changes in told_before for c in changes)
    history_before = [
        (h.history_date, h.history_user_id, h.status, h.progress)
        for h in ActionSheet.history.filter(number=4).order_by("history_date")
    ]
    backup = tmp_path / "ctg.json"
    call_command("export_convention", SLUG, str(backup))
    first = backup.read_text(encoding="utf-8")
    data = json.loads(first)
    assert data["format"] == "ctg-portal-convention"
    labels = {item["model"] for item in data["objects"]}
    assert {"actions.historicalactionsheet", "funding.payment", "auth.user"} <= labels
    # The links each history record held: simple-history's many-to-many rows.
    assert {
        "actions.historicalactionsheet_domains",
        "actions.historicalactionsheet_pilots",
    } <= labels
    assert {
        "committees.meeting",
        "committees.attendance",
        "committees.agendaitem",
        "committees.decision",
        "committees.historicalmeeting",
        "committees.historicaldecision",
        "documents.document",
        "documents.historicaldocument",
    } <= labels
    assert {
        "bilans.sheetreview",
        "bilans.historicalsheetreview",
        "bilans.yearbilan",
        "bilans.historicalyearbilan",
        "evaluations.evaluation",
        "evaluations.historicalevaluation",
        "evaluations.objectiveevaluation",
        "evaluations.historicalobjectiveevaluation",
        # The indicators each answer's record rested on.
        "evaluations.historicalobjectiveevaluation_indicators",
    } <= labels
    # The documents' files in the same JSON file, base64, under their stored names.
    files = {name: base64.b64decode(content) for name, content in data["files"].items()}
    assert len(files) == 2 and all(content.startswith(b"%PDF-") for content in files.values())
    assert set(files) == set(
        Document.all_objects.filter(convention=seeded)
        .exclude(file="")
        .values_list("file", flat=True)
    )

    call_command("flush", interactive=False, verbosity=0)
    # Another machine: no file either.
    shutil.rmtree(media)
    assert not Convention.objects.exists()
    call_command("import_convention", str(backup), stdout=io.StringIO())

    restored = Convention.objects.get(slug=SLUG)
    assert without_date(export_convention(restored)) == without_date(first)
    assert figures(restored) == before_figures
    assert before_figures[0] == 16 and before_figures[4] == 725403
    history_after = [
        (h.history_date, h.history_user_id, h.status, h.progress)
        for h in ActionSheet.history.filter(number=4).order_by("history_date")
    ]
    assert history_after == history_before
    assert told(restored) == told_before
    assert steering(restored) == steering_before
    assert bilans_told(restored) == bilans_before
    assert Document.all_objects.get(title=deleted.title).is_deleted
    assert not Document.objects.filter(title=deleted.title).exists()
    for name, content in files.items():
        assert (media / name).read_bytes() == content
    # The restored portal works: a coordinator logs in and edits; new ids do not collide.
    client.force_login(restored.memberships.get(role="coordinator").user)
    sheet = restored.action_sheets.get(number=4)
    response = client.post(
        reverse("actions:edit", args=[SLUG, 4]), sheet_edit_payload(sheet, progress=50)
    )
    assert response.status_code == 302
    response = client.post(
        reverse("actions:note_add", args=[SLUG, 4]),
        {
            "text": "Après restauration",
            "written_on": "2025-01-10",
            "version": 4,
            "submission": once(),
        },
    )
    assert response.status_code == 302
    assert sheet.notes.filter(text="Après restauration").exists()
    # The restored files are downloaded as before.
    minutes = Document.objects.get(convention=restored, meeting__isnull=False)
    response = client.get(reverse("documents:download", args=[SLUG, minutes.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == files[minutes.file.name]


def test_import_refuses_a_database_that_holds_it(seeded, tmp_path):
    backup = tmp_path / "ctg.json"
    call_command("export_convention", SLUG, str(backup))
    with pytest.raises(CommandError, match="contient déjà"):
        call_command("import_convention", str(backup))
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError, match="pas une sauvegarde de convention du Portail CTG"):
        call_command("import_convention", str(bad))
    with pytest.raises(CommandError, match="Aucune convention"):
        call_command("export_convention", "nope", str(backup))


def test_a_renewed_convention_is_backed_up_without_its_renewal_links(seeded, tmp_path):
    """A backup holds one convention: the convention it renews (and that one's sheets) are
    not in it, so the links are left out and the copy restores on its own."""
    from .factories import ActionSheetFactory, ConventionFactory

    successor = ConventionFactory(
        slug="thore-2026", start_year=2026, end_year=2028, signed_on=None, predecessor=seeded
    )
    objective = successor.objectives.create(number=1, title="Objectif")
    ActionSheetFactory(
        convention=successor,
        objective=objective,
        number=1,
        predecessor=seeded.action_sheets.get(number=4),
    )
    backup = tmp_path / "renewed.json"
    call_command("export_convention", "thore-2026", str(backup))
    assert '"predecessor"' not in backup.read_text(encoding="utf-8")
    Convention.objects.filter(pk=successor.pk).delete()
    call_command("import_convention", str(backup), stdout=io.StringIO())
    restored = Convention.objects.get(slug="thore-2026")
    assert restored.predecessor is None and restored.action_sheets.get().predecessor is None
