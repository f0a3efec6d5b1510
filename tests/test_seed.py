import importlib
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Sum

from actions.models import ActionSheet
from conventions.models import Convention, Partner, Signatory
from funding.models import FundingAmount, FundingLine
from funding.reports import funding_table

pytestmark = pytest.mark.django_db


def test_seed_convention_frame(seeded):
    assert seeded.slug == "thore-montagne-noire-2023-2025"
    assert (seeded.start_year, seeded.end_year) == (2023, 2025)
    assert seeded.signed_on.strftime("%d/%m/%Y") == "30/11/2022"
    assert seeded.status == "in_force"  # on the suite's date, in 2025
    # The article's 12 parties: the 9 communes of the Communauté de communes, the mairies of
    # St-Amans-Soult and Pont-de-l'Arn, the CAF du Tarn; the EPCI is the territory.
    assert seeded.signatory_set.count() == 12
    assert set(seeded.signatories.values_list("kind", flat=True)) == {"commune", "caf"}
    assert seeded.signatories.get(kind="caf").name == "CAF du Tarn"
    assert seeded.epci.siren == "248100745"
    assert seeded.epci.name == "Communauté de communes Thoré Montagne Noire"
    assert seeded.domains.count() == 7
    assert seeded.challenges.count() == 6
    assert seeded.objectives.count() == 7
    assert seeded.action_sheets.count() == 16
    assert seeded.funding_lines.count() == 9


def test_seed_partners_and_identifiers(seeded):
    epci = Partner.objects.get(kind=Partner.Kind.EPCI)
    assert epci.siren == "248100745"
    assert epci.member_communes.count() == 9
    signed = {p.name: p.insee_code for p in seeded.signatories.filter(kind="commune")}
    assert len(signed) == 11
    assert signed["Saint-Amans-Soult"] == "81238"
    assert signed["Saint-Amans-Valtoret"] == "81239"
    assert signed["Pont-de-Larn"] == "81209"
    assert signed["Bout-du-Pont-de-Larn"] == "81036"
    assert Partner.objects.get(insee_code="81238").epci is None
    assert seeded.signatories.filter(kind="caf").get().name == "CAF du Tarn"


SOURCE = Path(settings.BASE_DIR).parent / "shared" / "seed" / "000_508ca8cb2faece31.txt"


def source_lines():
    """The lines of the seed's source document, read independently of the loader's constants."""
    if not SOURCE.exists():
        pytest.skip(f"The seed's source document is not beside the repository ({SOURCE}).")
    return SOURCE.read_text(encoding="utf-8").splitlines()


def test_seed_texts_are_those_of_the_source_document(seeded):
    lines = source_lines()
    numbered = {}
    for line in lines:
        number, dot, title = line.partition(". ")
        if dot and number.isdigit():
            numbered[int(number)] = title.strip()
    assert dict(seeded.action_sheets.values_list("number", "title")) == numbered
    bullets = [line[2:].strip() for line in lines if line.startswith("- ")]
    challenges = list(seeded.challenges.values_list("title", flat=True))
    objectives = list(seeded.objectives.order_by("number").values_list("title", flat=True))
    assert bullets[:6] == challenges
    assert bullets[6:13] == objectives
    amounts = [
        Decimal(line[2:].split("€")[0].replace("\u202f", "").replace(" ", ""))
        for line in bullets_with_amounts(lines)
    ]
    planned = FundingAmount.objects.filter(line__convention=seeded, year=2024)
    assert sorted(planned.values_list("planned", flat=True)) == sorted(amounts)
    assert sum(amounts) == Decimal("241801")


def bullets_with_amounts(lines):
    return [line for line in lines if line.startswith("- ") and "€" in line]


def test_seed_exact_titles(seeded):
    sheets = dict(seeded.action_sheets.values_list("number", "title"))
    assert sheets[2] == (
        "Promouvoir et accompagner le métier d’assistante maternelle par des actions de "
        "communication et des rencontres"
    )
    assert seeded.objectives.get(number=6).title == "Favoriser l’action et l’implication citoyenne"


def test_seed_links(seeded):
    by_objective = {
        o.number: sorted(o.action_sheets.values_list("number", flat=True))
        for o in seeded.objectives.all()
    }
    assert by_objective == {
        1: [1, 2, 3, 4, 5, 6, 7],
        2: [8],
        3: [9],
        4: [10],
        5: [11, 12, 13, 14],
        6: [15],
        7: [16],
    }
    objective_1 = seeded.objectives.get(number=1)
    assert list(objective_1.challenges.values_list("title", flat=True)) == [
        "Le soutien aux familles"
    ]
    assert sorted(objective_1.domains.values_list("name", flat=True)) == [
        "Enfance",
        "Jeunesse",
        "Petite enfance",
    ]
    assert set(seeded.objectives.get(number=7).challenges.all()) == set(
        seeded.objectives.get(number=6).challenges.all()
    )
    assert not seeded.action_sheets.exclude(status=ActionSheet.Status.TODO).exists()


def test_seed_funding_figures(seeded):
    amounts = FundingAmount.objects.filter(line__convention=seeded)
    assert amounts.count() == 27
    for year in (2023, 2024, 2025):
        assert amounts.filter(year=year).aggregate(t=Sum("planned"))["t"] == Decimal("241801")
    assert amounts.aggregate(t=Sum("planned"))["t"] == Decimal("725403")
    line = FundingLine.objects.get(convention=seeded, label="MJC St-Baudille")
    assert [a.planned for a in line.amounts.all()] == [Decimal("3095")] * 3
    assert not FundingLine.objects.filter(convention=seeded).exclude(funder__kind="caf").exists()

    table = funding_table(seeded)
    assert table.per_year == [Decimal("241801")] * 3
    assert table.total == Decimal("725403")
    assert table.caf.total == Decimal("725403")
    assert table.local.total == Decimal("0")


def test_seed_twice_changes_nothing(seeded, capsys):
    before = {
        "sheets": list(ActionSheet.objects.values()),
        "partners": list(Partner.objects.values()),
        "amounts": list(FundingAmount.objects.values()),
        "history": ActionSheet.history.count(),
    }
    call_command("seed_ctg")
    assert "rien n’a changé" in capsys.readouterr().out
    after = {
        "sheets": list(ActionSheet.objects.values()),
        "partners": list(Partner.objects.values()),
        "amounts": list(FundingAmount.objects.values()),
        "history": ActionSheet.history.count(),
    }
    assert after == before


def test_seed_keeps_edits(seeded):
    sheet = seeded.action_sheets.get(number=4)
    sheet.status = ActionSheet.Status.IN_PROGRESS
    sheet.save()
    call_command("seed_ctg", stdout=io.StringIO())
    sheet.refresh_from_db()
    assert sheet.status == ActionSheet.Status.IN_PROGRESS


def test_seed_demo_refuses_without_debug(seeded, settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")


def test_seed_demo_accounts(seeded, capsys):
    from django.contrib.auth import get_user_model

    from operations.management.commands.seed_demo import DEMO_PASSWORD

    call_command("seed_demo", "--force")
    assert "admin" in capsys.readouterr().out
    roles = dict(seeded.memberships.values_list("user__username", "role"))
    assert roles == {"coordination": "coordinator", "pilote": "pilot", "elu": "elected"}
    # The caf account is a manager at the seed convention's CAF, with no membership of it.
    assert dict(seeded.caf.caf_memberships.values_list("user__username", "role")) == {
        "caf": "manager"
    }
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)
    piloted = seeded.action_sheets.filter(pilots__username="pilote")
    assert sorted(piloted.values_list("number", flat=True)) == [1, 2, 3, 4]
    call_command("seed_demo", "--force")
    assert "rien n’a changé" in capsys.readouterr().out


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The documents' files (seed_demo writes two) under a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def steering_counts(convention):
    from committees.models import AgendaItem, Attendance, Decision, Meeting
    from documents.models import Document

    return (
        Meeting.objects.filter(convention=convention).count(),
        Attendance.objects.filter(meeting__convention=convention).count(),
        AgendaItem.objects.filter(meeting__convention=convention).count(),
        Decision.objects.filter(meeting__convention=convention).count(),
        Document.all_objects.filter(convention=convention).count(),
        ActionSheet.history.filter(convention=convention).count(),
    )


def test_seed_demo_steering(seeded, media, capsys):
    import datetime

    from committees.models import Decision, Meeting
    from documents.models import Document
    from documents.validation import check_upload

    call_command("seed_demo", "--force")
    assert "2 COPIL et 3 COTECH" in capsys.readouterr().out
    meetings = Meeting.objects.filter(convention=seeded).order_by("starts_at")
    assert [m.kind for m in meetings] == ["copil", "cotech", "cotech", "copil", "cotech"]
    assert all(2023 <= m.local_date.year <= 2025 for m in meetings)
    assert all(m.state == "held" and m.minutes for m in meetings)
    assert [m.label for m in meetings.filter(is_public=True)] == ["COPIL du 21/11/2024"]
    # Attendance of members and of partner organisations; agendas naming objectives, sheets.
    copil = meetings.get(is_public=True)
    assert copil.attendances.filter(user__username="elu", status="present").exists()
    assert {a.partner.kind for a in copil.attendances.filter(partner__isnull=False)} == {
        "caf",
        "epci",
    }
    items = copil.agenda_items.all()
    assert items.filter(objectives__isnull=False).exists()
    assert sorted(items.values_list("sheets__number", flat=True).exclude(sheets=None)) == [
        1,
        10,
        13,
        14,
    ]
    decisions = Decision.objects.filter(meeting__convention=seeded)
    assert decisions.values("sheets").distinct().count() >= 5
    assert decisions.filter(state="done").count() >= 3
    today = datetime.date(2025, 12, 31)
    overdue = decisions.overdue(today)
    assert [d.sheets.get().number for d in overdue] == [2]
    assert overdue.get().owner.username == "pilote"
    # The COPIL's decision went through the sheet's own save: its history names the meeting.
    applied = decisions.get(applied_at__isnull=False)
    sheet = applied.sheets.get()
    assert sheet.number == 14 and sheet.planned_start == datetime.date(2025, 1, 1)
    record = sheet.history.latest("history_date")
    assert record.history_change_reason == "décision du COPIL du 21/11/2024"
    # Documents: links and small PDFs, on the convention, a sheet, a meeting, a funding year.
    documents = Document.objects.filter(convention=seeded)
    assert documents.attached_to_convention().get().url.startswith("https://")
    assert documents.get(sheet__number=13).is_link
    on_meeting = documents.get(meeting=copil)
    assert documents.get(funding_year=2024).content_type == "application/pdf"
    assert on_meeting.publishable and on_meeting.original_name.endswith(".pdf")
    stored = Path(media) / on_meeting.file.name
    content = stored.read_bytes()
    assert content.startswith(b"%PDF-1.4") and len(content) == on_meeting.size
    # What an upload of it would be checked as: a PDF by its content.
    from django.core.files.uploadedfile import SimpleUploadedFile

    checked = check_upload(SimpleUploadedFile(on_meeting.original_name, content))
    assert checked.content_type == "application/pdf"


def test_seed_demo_steering_twice_adds_nothing(seeded, media, capsys):
    call_command("seed_demo", "--force")
    before = steering_counts(seeded)
    files = sorted(p.name for p in Path(media).rglob("*") if p.is_file())
    assert before[0] == 5 and before[4] == 4 and len(files) == 2
    call_command("seed_demo", "--force")
    assert "Pilotage de démonstration déjà présent" in capsys.readouterr().out
    assert steering_counts(seeded) == before
    assert sorted(p.name for p in Path(media).rglob("*") if p.is_file()) == files


def test_seed_demo_steering_pages_open(client, seeded, media):
    """The demonstration's meetings and documents open for its coordinator (the pages of the
    committees and documents apps, as a user of `make run` sees them)."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from committees.models import Meeting

    call_command("seed_demo", "--force", stdout=io.StringIO())
    client.force_login(get_user_model().objects.get(username="coordination"))
    slug = seeded.slug
    response = client.get(reverse("committees:list", args=[slug]))
    assert response.status_code == 200
    assert "Comité de pilotage annuel 2024" in response.content.decode()
    for meeting in Meeting.objects.filter(convention=seeded):
        response = client.get(reverse("committees:detail", args=[slug, meeting.pk]))
        assert response.status_code == 200, meeting
    response = client.get(reverse("documents:list", args=[slug]))
    assert "Justificatif des versements 2024" in response.content.decode()


# --- the demonstration's bilans and evaluation -------------------------------------------------


def demo_bilans_counts(convention):
    from bilans.models import SheetReview, YearBilan
    from evaluations.models import Evaluation, ObjectiveEvaluation

    return (
        sorted(
            SheetReview.objects.filter(sheet__convention=convention)
            .values_list("year", "state")
            .distinct()
        ),
        SheetReview.objects.filter(sheet__convention=convention).count(),
        SheetReview.history.count(),
        YearBilan.objects.filter(convention=convention).count(),
        Evaluation.objects.filter(convention=convention).count(),
        ObjectiveEvaluation.objects.filter(evaluation__convention=convention).count(),
        ObjectiveEvaluation.history.count(),
        ActionSheet.history.filter(convention=convention).count(),
    )


def test_seed_demo_bilans(seeded, media, capsys):
    from collections import Counter

    from django.utils import timezone

    from bilans.models import SheetReview, YearBilan
    from bilans.queries import sheet_year, year_figures
    from evaluations.models import Evaluation

    call_command("seed_demo", "--force")
    out = capsys.readouterr().out
    assert (
        "Bilans de démonstration ajoutés : 32 bilans de fiche validés (2023 et 2024), "
        "6 bilans de fiche 2025 soumis et 6 en brouillon, 2 synthèses annuelles." in out
    )
    assert "Évaluation de démonstration commencée : 8 réponses" in out
    reviews = SheetReview.objects.filter(sheet__convention=seeded)
    assert Counter(reviews.values_list("year", "state")) == {
        (2023, "validated"): 16,
        (2024, "validated"): 16,
        (2025, "submitted"): 6,
        (2025, "draft"): 6,
    }
    # Every sheet has its validated reviews of 2023 and 2024, written in full, validated by
    # the coordinator; those of 2024 name the annual COPIL that approved them.
    for year in (2023, 2024):
        validated = reviews.filter(year=year)
        assert sorted(validated.values_list("sheet__number", flat=True)) == list(range(1, 17))
        assert not validated.filter(achievements="").exists()
        assert not validated.filter(difficulties="").exists()
        assert not validated.filter(adjustments="").exists()
        assert not validated.filter(proposed_status="").exists()
        assert set(validated.values_list("validated_by__username", flat=True)) == {"coordination"}
        assert set(validated.values_list("version", flat=True)) == {3}
    assert {r.validated_meeting.label for r in reviews.filter(year=2024)} == {"COPIL du 21/11/2024"}
    # The pilot wrote and submitted the reviews of the sheets they pilot.
    review = reviews.get(sheet__number=2, year=2024)
    assert review.submitted_by.username == "pilote"
    assert [
        (h.state, h.history_user.username) for h in review.history.order_by("history_date")
    ] == [
        ("draft", "pilote"),
        ("submitted", "pilote"),
        ("validated", "coordination"),
    ]
    assert all(h.history_date <= timezone.now() for h in SheetReview.history.all())
    # 2025 is under way: a few sheets have no review yet.
    missing = set(range(1, 17)) - set(
        reviews.filter(year=2025).values_list("sheet__number", flat=True)
    )
    assert missing == {4, 11, 12, 14}
    assert not reviews.filter(year=2025, state="validated").exists()
    syntheses = YearBilan.objects.filter(convention=seeded).order_by("year")
    assert [b.year for b in syntheses] == [2023, 2024]
    assert all(len(b.synthesis) > 200 for b in syntheses)
    # The evaluation is begun: some objectives rated with evidence and indicators.
    evaluation = Evaluation.objects.get(convention=seeded)
    assert evaluation.conclusion and not evaluation.recommendations
    answers = evaluation.answers.all()
    assert sorted({a.objective.number for a in answers}) == [1, 4, 5]
    assert all(a.rating and a.evidence for a in answers)
    assert sorted(
        answers.filter(indicators__isnull=False).values_list("indicators__sheet__number", flat=True)
    ) == [1, 10, 13]
    # The indicators have their baseline and yearly targets.
    indicator = seeded.action_sheets.get(number=10).indicators.get()
    assert indicator.yearly_targets == {"2023": "30", "2024": "80", "2025": "120"}
    assert indicator.baseline_date and indicator.baseline_source
    # The figures "as of 31/12", from the history, show each year as it was.
    statuses = {
        year: {label: n for label, n in year_figures(seeded, year).statuses if n}
        for year in (2023, 2024, 2025)
    }
    assert statuses[2023] == {"à lancer": 2, "en cours": 13, "réalisée": 1}
    assert statuses[2024] == {
        "à lancer": 2,
        "en cours": 8,
        "réalisée": 3,
        "en pause": 1,
        "bloquée": 1,
        "abandonnée": 1,
    }
    tally = year_figures(seeded, 2024).indicators
    assert (tally.reached, tally.not_reached, tally.no_value) == (2, 1, 0)
    sheet = seeded.action_sheets.get(number=3)
    assert (sheet_year(sheet, 2023).record.status, sheet_year(sheet, 2023).record.progress) == (
        "in_progress",
        50,
    )
    assert sheet_year(sheet, 2024).record.status == "done"
    # The sheets' histories read in order: created at the signature, then year by year.
    for sheet in seeded.action_sheets.all():
        records = list(sheet.history.order_by("history_date", "history_id"))
        assert records[0].history_type == "+"
        assert records[0].history_date.date() == seeded.signed_on
        assert all(r.history_date <= timezone.now() for r in records)


def test_seed_demo_bilans_twice_adds_nothing(seeded, media, capsys):
    call_command("seed_demo", "--force")
    before = demo_bilans_counts(seeded)
    assert before[1] == 44 and before[3:6] == (2, 1, 8)
    call_command("seed_demo", "--force")
    assert "Bilans de démonstration déjà présents" in capsys.readouterr().out
    assert demo_bilans_counts(seeded) == before


def test_seed_demo_bilans_pages_open(client, seeded, media):
    """The demonstration's bilans and evaluation open for its coordinator, with its texts."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    call_command("seed_demo", "--force", stdout=io.StringIO())
    client.force_login(get_user_model().objects.get(username="coordination"))
    slug = seeded.slug
    page = client.get(reverse("bilans:year", args=[slug, 2024])).content.decode()
    assert "Deuxième année" in page
    page = client.get(reverse("bilans:review", args=[slug, 2023, 6])).content.decode()
    assert "questionnaire rempli par 140" in page
    page = client.get(reverse("evaluations:detail", args=[slug])).content.decode()
    assert "82 seniors ont participé" in page


def test_data_migration_corrects_an_earlier_seed(seeded):
    """A database seeded before: the EPCI was a 13th signatory and not the territory."""
    from django.apps import apps

    module = importlib.import_module("conventions.migrations.0008_seed_territory_is_its_epci")
    epci = seeded.epci
    Signatory.objects.create(convention=seeded, partner=epci, signed_on=seeded.signed_on)
    Convention.objects.filter(pk=seeded.pk).update(epci=None)

    module.territory_not_signatory(apps, None)

    seeded.refresh_from_db()
    assert seeded.signatory_set.count() == 12
    assert seeded.epci == epci
    module.territory_not_signatory(apps, None)  # again: nothing more changes
    assert seeded.signatory_set.count() == 12
    module.territory_as_signatory(apps, None)  # the way back
    assert seeded.signatory_set.count() == 13
