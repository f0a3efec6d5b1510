"""The yearly bilans: a sheet's review of a year (draft → submitted → validated, locked, reopened
by a coordinator), the year's page (reviews by objective, figures as of 31/12 from the history,
the synthesis), the years refused, the version checks, and the query-count guards."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import ActionSheet
from bilans.models import SheetReview, YearBilan
from committees.models import Meeting

from .factories import (
    ActionSheetFactory,
    FundingAmountFactory,
    FundingLineFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    PaymentFactory,
    ProgressNoteFactory,
    StepFactory,
)
from .helpers import once
from .test_action_sheet_list import add_sheets

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2025, 6, 16, 10, 0, tzinfo=PARIS)
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

SLUG = "thore-montagne-noire-2023-2025"
NBSP = "\u00a0"


def text(response):
    return response.content.decode().replace("&nbsp;", NBSP)


def review_url(year, number, name="review", slug=SLUG):
    return reverse(f"bilans:{name}", args=[slug, year, number])


def year_url(year, slug=SLUG):
    return reverse("bilans:year", args=[slug, year])


def sheet_of(convention, number):
    return ActionSheet.objects.get(convention=convention, number=number)


def review_payload(version=0, action="save", **fields):
    data = {
        "achievements": "Trois ateliers parents-enfants ouverts.",
        "difficulties": "Recrutement lent.",
        "adjustments": "Ouvrir un atelier le samedi.",
        "proposed_status": "in_progress",
        "comment": "",
        "version": version,
        "action": action,
        "submission": once(),
    }
    data.update(fields)
    return data


def copil(convention, **fields):
    values = {
        "kind": Meeting.Kind.COPIL,
        "title": "COPIL de bilan",
        "starts_at": datetime.datetime(2025, 3, 14, 10, 0, tzinfo=PARIS),
    }
    values.update(fields)
    return Meeting.objects.create(convention=convention, **values)


def make_review(sheet, year=2024, **fields):
    return SheetReview.objects.create(sheet=sheet, year=year, **fields)


# --- models ----------------------------------------------------------------------------------


def test_one_review_per_sheet_and_year(seeded):
    sheet = sheet_of(seeded, 1)
    make_review(sheet)
    with pytest.raises(ValidationError) as error:
        SheetReview(sheet=sheet, year=2024).validate_constraints()
    assert "Cette fiche a déjà un bilan pour cette année." in str(error.value)
    YearBilan.objects.create(convention=seeded, year=2024)
    with pytest.raises(ValidationError) as error:
        YearBilan(convention=seeded, year=2024).validate_constraints()
    assert "Cette convention a déjà un bilan pour cette année." in str(error.value)


def test_a_year_outside_the_period_or_not_begun_is_refused_in_french(seeded):
    sheet = sheet_of(seeded, 1)
    with pytest.raises(ValidationError) as error:
        SheetReview(sheet=sheet, year=2022).full_clean()
    assert "2022 n’est pas une année de cette convention (2023–2025)." in str(error.value)
    seeded.end_year = 2027
    seeded.save()
    with pytest.raises(ValidationError) as error:
        YearBilan(convention=seeded, year=2026).full_clean()
    assert "L’année 2026 n’a pas encore commencé." in str(error.value)


def test_a_meeting_of_another_convention_cannot_approve(seeded, other_convention):
    review = make_review(sheet_of(seeded, 1), state="draft")
    review.validated_meeting = copil(other_convention)
    with pytest.raises(ValidationError) as error:
        review.full_clean()
    assert "Choisissez une réunion de la convention de cette fiche." in str(error.value)


# --- the index -------------------------------------------------------------------------------


def test_index_lists_the_years_with_their_reviews_by_state(client, seeded, elected, time_machine):
    make_review(sheet_of(seeded, 1), state="draft")
    make_review(sheet_of(seeded, 2), state="submitted")
    make_review(sheet_of(seeded, 3), year=2023, state="validated", validated_at=NOW)
    client.force_login(elected)
    time_machine.move_to(datetime.datetime(2024, 9, 1, tzinfo=PARIS))
    response = client.get(reverse("bilans:index", args=[SLUG]))
    assert response.status_code == 200
    body = text(response)
    assert f'href="{year_url(2023)}"' in body and f'href="{year_url(2024)}"' in body
    assert f'href="{year_url(2025)}"' not in body  # not begun: listed, not linked
    assert "Bilan 2025" in body and "pas commencée" in body
    lines = {line.year: line for line in response.context["years"]}
    assert (lines[2024].draft, lines[2024].submitted, lines[2024].validated) == (1, 1, 0)
    assert lines[2023].validated == 1


# --- years refused ---------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2022, 2026])
def test_a_year_outside_the_period_is_a_french_404(client, seeded, coordinator, year):
    client.force_login(coordinator)
    for url in (year_url(year), review_url(year, 1)):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page introuvable" in text(response)
    response = client.post(review_url(year, 1), review_payload())
    assert response.status_code == 404
    assert not SheetReview.objects.exists()


def test_a_year_not_begun_is_a_404(client, seeded, coordinator, time_machine):
    time_machine.move_to(datetime.datetime(2024, 12, 31, 12, 0, tzinfo=PARIS))
    client.force_login(coordinator)
    assert client.get(year_url(2025)).status_code == 404
    assert client.post(review_url(2025, 1), review_payload()).status_code == 404
    assert client.get(review_url(2024, 1)).status_code == 200
    assert not SheetReview.objects.exists()


def test_a_review_of_another_conventions_sheet_is_a_404(
    client, seeded, coordinator, other_convention
):
    other_sheet = ActionSheetFactory(convention=other_convention, number=42)
    client.force_login(coordinator)
    # The other convention's sheet through this convention's address: no such sheet here.
    assert client.post(review_url(2024, 42), review_payload()).status_code == 404
    # Through the other convention's address: not a member.
    response = client.post(
        review_url(2024, other_sheet.number, slug=other_convention.slug), review_payload()
    )
    assert response.status_code == 404
    assert "Page introuvable" in text(response)
    assert not SheetReview.objects.exists()


# --- the states ------------------------------------------------------------------------------


def test_a_pilot_saves_a_draft_then_submits(client, seeded, pilot):
    client.force_login(pilot)
    response = client.get(review_url(2024, 1))
    assert response.status_code == 200
    assert "non commencé" in text(response)
    response = client.post(review_url(2024, 1), review_payload())
    assert response.status_code == 302
    review = SheetReview.objects.get()
    assert (review.state, review.version, review.year) == ("draft", 1, 2024)
    assert review.achievements == "Trois ateliers parents-enfants ouverts."
    response = client.post(review_url(2024, 1), review_payload(version=1, action="submit"))
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.state, review.version, review.submitted_by) == ("submitted", 2, pilot)
    assert review.submitted_at == NOW
    page = text(client.get(review_url(2024, 1)))
    assert "Soumis" in page and "soumis par" in page and "16/06/2025" in page


def test_a_pilot_of_another_sheet_and_readers_cannot_write(
    client, seeded, other_pilot, elected, caf_staff
):
    for user in (other_pilot, elected, caf_staff):
        client.force_login(user)
        response = client.get(review_url(2024, 1))
        assert response.status_code == 200
        assert '<form method="post" novalidate>' not in text(response)  # read-only
        assert client.post(review_url(2024, 1), review_payload()).status_code == 403
    assert not SheetReview.objects.exists()


def test_coordinator_validates_naming_the_copil_then_it_is_locked(
    client, seeded, coordinator, pilot
):
    review = make_review(sheet_of(seeded, 1), state="submitted", achievements="Fait.")
    cotech = copil(seeded, kind=Meeting.Kind.COTECH, title="COTECH")
    meeting = copil(seeded)
    client.force_login(coordinator)
    page = client.get(review_url(2024, 1))
    choices = list(page.context["validate_form"].fields["meeting"].queryset)
    assert choices == [meeting, cotech]  # the COPILs first
    response = client.post(
        review_url(2024, 1, "validate"),
        {"version": 1, "meeting": meeting.pk, "submission": once()},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.state, review.validated_by, review.validated_meeting) == (
        "validated",
        coordinator,
        meeting,
    )
    assert review.version == 2
    # Locked: the pilot (and the coordinator) read it; an edit is refused in French.
    client.force_login(pilot)
    page = text(client.get(review_url(2024, 1)))
    assert "Ce bilan est validé" in page and "COPIL du 14/03/2025" in page
    assert 'name="achievements"' not in page
    response = client.post(review_url(2024, 1), review_payload(version=2))
    assert response.status_code == 403
    assert f"Ce bilan est validé{NBSP}: il est verrouillé." in text(response)
    review.refresh_from_db()
    assert (review.achievements, review.version) == ("Fait.", 2)


def test_validation_requires_a_submitted_review_and_a_meeting_of_the_convention(
    client, seeded, coordinator, other_convention
):
    review = make_review(sheet_of(seeded, 1))
    client.force_login(coordinator)
    url = review_url(2024, 1, "validate")
    response = client.post(url, {"version": 1, "meeting": "", "submission": once()})
    assert response.status_code == 400
    assert "Seul un bilan soumis peut être validé" in text(response)
    review.state = "submitted"
    review.save()
    foreign = copil(other_convention)
    response = client.post(url, {"version": 1, "meeting": foreign.pk, "submission": once()})
    assert response.status_code == 400
    review.refresh_from_db()
    assert (review.state, review.validated_meeting) == ("submitted", None)


def test_only_a_coordinator_validates_or_reopens(client, seeded, pilot):
    review = make_review(sheet_of(seeded, 1), state="submitted")
    client.force_login(pilot)
    data = {"version": 1, "meeting": "", "submission": once()}
    assert client.post(review_url(2024, 1, "validate"), data).status_code == 403
    review.state, review.validated_at = "validated", NOW
    review.save()
    data = {"version": 2, "submission": once()}
    assert client.post(review_url(2024, 1, "reopen"), data).status_code == 403
    review.refresh_from_db()
    assert review.state == "validated"


def test_reopen_goes_back_to_draft_and_the_history_tells_who(client, seeded, coordinator, pilot):
    review = make_review(sheet_of(seeded, 1), state="submitted")
    client.force_login(coordinator)
    client.post(
        review_url(2024, 1, "validate"), {"version": 1, "meeting": "", "submission": once()}
    )
    response = client.post(review_url(2024, 1, "reopen"), {"version": 2, "submission": once()})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.state, review.validated_at, review.version) == ("draft", None, 3)
    last = review.history.order_by("-history_date", "-history_id").first()
    assert (last.state, last.history_user) == ("draft", coordinator)
    page = text(client.get(review_url(2024, 1)))
    assert "Rouvert par" in page and "Validé par" in page
    # Open again: the pilot edits.
    client.force_login(pilot)
    assert client.post(review_url(2024, 1), review_payload(version=3)).status_code == 302
    # A second reopening writes nothing.
    client.force_login(coordinator)
    response = client.post(review_url(2024, 1, "reopen"), {"version": 4, "submission": once()})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.state, review.version) == ("draft", 4)


# --- versions and double posts ---------------------------------------------------------------


def test_a_stale_save_is_a_french_409_with_what_changed(client, seeded, coordinator, pilot):
    review = make_review(sheet_of(seeded, 1), achievements="Avant.")
    client.force_login(coordinator)
    assert (
        client.post(review_url(2024, 1), review_payload(version=1, adjustments="A")).status_code
        == 302
    )
    client.force_login(pilot)
    response = client.post(review_url(2024, 1), review_payload(version=1, adjustments="B"))
    assert response.status_code == 409
    body = text(response)
    assert "Enregistré entre-temps par quelqu’un d’autre" in body
    assert f"Ajustements proposés{NBSP}: texte modifié" in body
    review.refresh_from_db()
    assert (review.adjustments, review.version) == ("A", 2)
    # The form carries the current version: saving again applies the pilot's input.
    assert response.context["form"]["version"].value() == "2"


def test_two_first_saves_one_wins(client, seeded, coordinator, pilot):
    client.force_login(coordinator)
    assert client.post(review_url(2024, 1), review_payload(comment="Premier")).status_code == 302
    client.force_login(pilot)
    response = client.post(review_url(2024, 1), review_payload(comment="Second"))
    assert response.status_code == 409
    assert SheetReview.objects.get().comment == "Premier"


def test_a_double_post_writes_once(client, seeded, pilot):
    client.force_login(pilot)
    data = review_payload()
    assert client.post(review_url(2024, 1), data).status_code == 302
    response = client.post(review_url(2024, 1), data, follow=True)
    assert "déjà été enregistrées" in text(response)
    review = SheetReview.objects.get()
    assert review.version == 1 and review.history.count() == 1


def test_a_validation_from_a_stale_version_is_a_409(client, seeded, coordinator):
    review = make_review(sheet_of(seeded, 1), state="submitted")
    client.force_login(coordinator)
    review.comment = "Changé"
    review.version = 2
    review.save()
    response = client.post(
        review_url(2024, 1, "validate"), {"version": 1, "meeting": "", "submission": once()}
    )
    assert response.status_code == 409
    assert "a été modifié par quelqu’un d’autre" in text(response)
    review.refresh_from_db()
    assert review.state == "submitted"


# --- the year's page -------------------------------------------------------------------------


def test_year_page_groups_the_sheets_by_objective_with_their_review_state(client, seeded, elected):
    make_review(sheet_of(seeded, 1), state="submitted")
    make_review(sheet_of(seeded, 2), state="validated", validated_at=NOW)
    archived = sheet_of(seeded, 16)
    archived.archived_at = NOW
    archived.save()
    client.force_login(elected)
    response = client.get(year_url(2024))
    assert response.status_code == 200
    body = text(response)
    groups = response.context["groups"]
    assert sum(len(g.sheets) for g in groups) == 15  # the archived one left out
    states = {s.number: s.review_label for g in groups for s in g.sheets}
    assert (states[1], states[2], states[3]) == ("soumis", "validé", "manquant")
    assert f'href="{review_url(2024, 1)}"' in body
    assert "Objectif 1 —" in body
    assert 'name="synthesis"' not in body  # members read the synthesis


def test_year_figures_as_of_31_12(client, seeded, coordinator):
    sheet = sheet_of(seeded, 1)
    StepFactory(sheet=sheet, due_on=datetime.date(2024, 3, 1), done_on=datetime.date(2024, 4, 2))
    StepFactory(sheet=sheet, due_on=datetime.date(2024, 3, 1), done_on=datetime.date(2025, 1, 5))
    reached = IndicatorFactory(sheet=sheet, baseline=10, target=None, yearly_targets={"2024": "20"})
    IndicatorValueFactory(indicator=reached, measured_on=datetime.date(2024, 6, 1), value=15)
    IndicatorValueFactory(indicator=reached, measured_on=datetime.date(2024, 12, 1), value=22)
    IndicatorValueFactory(indicator=reached, measured_on=datetime.date(2025, 2, 1), value=5)
    missed = IndicatorFactory(sheet=sheet, yearly_targets={"2024": "30"})
    IndicatorValueFactory(indicator=missed, measured_on=datetime.date(2024, 5, 1), value=12)
    IndicatorFactory(sheet=sheet)  # no value in 2024
    line = FundingLineFactory(convention=seeded)
    amount = FundingAmountFactory(line=line, year=2024, planned=Decimal("12000"))
    PaymentFactory(funding_amount=amount, amount=Decimal("5000"), paid_on=datetime.date(2024, 5, 1))
    client.force_login(coordinator)
    figures = client.get(year_url(2024)).context["figures"]
    assert figures.steps_done == 1
    assert (figures.indicators.reached, figures.indicators.not_reached) == (1, 1)
    assert figures.indicators.no_value >= 1
    assert figures.caf_planned >= Decimal("12000")
    assert figures.caf_paid >= Decimal("5000")


def test_coordinator_writes_the_synthesis_version_checked(client, seeded, coordinator, superuser):
    client.force_login(coordinator)
    data = {"synthesis": "Une année de lancement.", "version": 0, "submission": once()}
    assert client.post(year_url(2024), data).status_code == 302
    bilan = YearBilan.objects.get()
    assert (bilan.synthesis, bilan.version) == ("Une année de lancement.", 1)
    client.force_login(superuser)
    data = {"synthesis": "Autre.", "version": 0, "submission": once()}
    response = client.post(year_url(2024), data)
    assert response.status_code == 409
    assert f"Synthèse{NBSP}: texte modifié" in text(response)
    bilan.refresh_from_db()
    assert bilan.synthesis == "Une année de lancement."


# --- the history -----------------------------------------------------------------------------


def test_a_change_in_january_leaves_the_december_state(client, seeded, coordinator, time_machine):
    """THE history test: the sheet changed in January 2025 still shows, in the 2024 review and
    year page, the state it had on 31/12/2024."""
    time_machine.move_to(datetime.datetime(2024, 3, 1, 9, 0, tzinfo=PARIS))
    sheet = ActionSheetFactory(convention=seeded, objective=seeded.objectives.first(), number=50)
    time_machine.move_to(datetime.datetime(2024, 12, 20, 15, 0, tzinfo=PARIS))
    sheet.status, sheet.progress = ActionSheet.Status.BLOCKED, 35
    sheet.save()
    time_machine.move_to(datetime.datetime(2025, 1, 8, 9, 0, tzinfo=PARIS))
    sheet.status = ActionSheet.Status.DONE
    sheet.save()
    client.force_login(coordinator)
    review = client.get(review_url(2024, 50))
    assert review.context["computed"].record.status == "blocked"
    assert f"Statut{NBSP}: bloquée, avancement 35" in text(review)
    figures = client.get(year_url(2024)).context["figures"]
    counts = dict(figures.statuses)
    assert counts["bloquée"] == 1 and counts["réalisée"] == 0
    assert figures.sheet_total == 1  # the others were created in 2025 (the seed, at NOW)
    # And 2025 shows it completed.
    assert client.get(review_url(2025, 50)).context["computed"].record.status == "done"


def test_review_page_shows_the_year_as_computed(client, seeded, pilot):
    sheet = sheet_of(seeded, 1)
    StepFactory(sheet=sheet, title="Lancer l’atelier", done_on=datetime.date(2024, 4, 2))
    StepFactory(sheet=sheet, title="Recruter", due_on=datetime.date(2024, 10, 1))
    StepFactory(sheet=sheet, title="Ancienne", done_on=datetime.date(2023, 4, 2))
    indicator = IndicatorFactory(
        sheet=sheet, label="Familles accueillies", yearly_targets={"2024": "20"}
    )
    IndicatorValueFactory(indicator=indicator, measured_on=datetime.date(2024, 9, 1), value=25)
    ProgressNoteFactory(sheet=sheet, written_on=datetime.date(2024, 3, 12), text="Note de mars")
    ProgressNoteFactory(sheet=sheet, written_on=datetime.date(2025, 3, 12), text="Note de 2025")
    client.force_login(pilot)
    body = text(client.get(review_url(2024, 1)))
    assert "Lancer l’atelier" in body and "Recruter" in body and "Ancienne" not in body
    assert "Familles accueillies" in body and "atteint" in body
    assert "Note de mars" in body and "Note de 2025" not in body
    assert "La fiche n’existait pas encore." in body  # the seed was written in 2025


# --- query-count guards ----------------------------------------------------------------------


def test_year_and_review_pages_query_counts_do_not_grow(client, seeded, coordinator):
    make_review(sheet_of(seeded, 1), state="submitted")
    copil(seeded)
    client.force_login(coordinator)
    urls = [year_url(2024), year_url(2025), review_url(2024, 1)]
    small = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        small.append(len(queries))
    # 10 each. The year: the session, the user, the convention and role, the bilan, the sheets
    # with their review's state, the statuses on 31/12 (history), the steps done, the
    # indicators with their last value, the funding lines and amounts. A review: the session,
    # the user, the sheet and role, the review, its record on 31/12, the steps, the indicators,
    # the notes, the review's history, the meetings to name.
    assert small == [10, 10, 10]
    add_sheets(seeded, 284)  # 300 sheets
    sheet = sheet_of(seeded, 1)  # and the reviewed sheet's year gets rows of every kind
    for day in range(1, 6):
        StepFactory(sheet=sheet, due_on=datetime.date(2024, 3, day), done_on=None)
        IndicatorValueFactory(
            indicator=IndicatorFactory(sheet=sheet), measured_on=datetime.date(2024, 5, day)
        )
        ProgressNoteFactory(sheet=sheet, written_on=datetime.date(2024, 6, day))
    for index, url in enumerate(urls):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) == small[index], [q["sql"] for q in queries.captured_queries]
    page = client.get(year_url(2024))
    assert sum(len(g.sheets) for g in page.context["groups"]) == 300
