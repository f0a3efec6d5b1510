"""export_convention / import_convention: a convention round-trips identically, history too."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from actions.history import SheetHistory
from actions.models import ActionSheet
from conventions.models import Convention
from funding.reports import funding_table
from operations.backup import export_convention
from portal.dashboard import build_dashboard

from .helpers import once, sheet_edit_payload

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"


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


def without_date(text):
    data = json.loads(text)
    data.pop("exported_at")
    return data


def test_round_trip_is_identical(client, seeded, coordinator, tmp_path):
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

    call_command("flush", interactive=False, verbosity=0)
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
