"""Issue 15's journeys in a real browser: a pilot fills and submits a sheet's 2024 review, a
coordinator validates it naming the COPIL, finds it locked, reopens it (the page's history says
who did), and writes the year's synthesis; the year's bilan downloaded as a PDF and a Word
document whose text is read back; the coordinator evaluates objective 1 (its four
questions, with evidence and an indicator) and writes the conclusion; the sheet's edit form with
yearly targets and its page with the chart and the yearly table. axe-core 0 violations and
nothing wider than the screen at 375 and 1280 px on each new page; the Nu HTML checker on every
page.

The live server's clock cannot be frozen: the data suits today's date (the seed convention runs
2023–2025, today is later, so each of its years has begun and the evaluation is open)."""

import datetime
import re
import subprocess
import zoneinfo
from decimal import Decimal

import docx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from actions.models import ActionSheet
from bilans.models import SheetReview, YearBilan
from committees.models import Meeting
from evaluations.models import Evaluation, ObjectiveEvaluation

from ..factories import IndicatorFactory, IndicatorValueFactory

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"
CONVENTION = f"/conventions/{SLUG}"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
D = datetime.date
QUESTIONS = ["relevance", "effectiveness", "efficiency", "durability"]


@pytest.fixture
def copil(seeded):
    """The COPIL that approves the 2024 bilans, in March 2025."""
    return Meeting.objects.create(
        convention=seeded,
        kind=Meeting.Kind.COPIL,
        title="COPIL de bilan 2024",
        starts_at=datetime.datetime(2025, 3, 14, 10, 0, tzinfo=PARIS),
        place="Mairie de Labruguière",
    )


@pytest.fixture
def places(seeded):
    """An indicator of sheet 1 (objective 1) with a baseline, yearly targets and values in
    2023 and 2024: reached in 2023, not in 2024."""
    sheet = ActionSheet.objects.get(convention=seeded, number=1)
    assert sheet.objective.number == 1
    indicator = IndicatorFactory(
        sheet=sheet,
        label="Places d’accueil du jeune enfant",
        unit="places",
        baseline=Decimal("80"),
        baseline_date=D(2022, 12, 31),
        baseline_source="Rapport d’activité de la CAF du Tarn 2022",
        target=Decimal("120"),
        yearly_targets={"2023": "90", "2024": "105", "2025": "120"},
    )
    for day, value in [(D(2023, 6, 30), 86), (D(2023, 12, 31), 92), (D(2024, 12, 31), 99)]:
        IndicatorValueFactory(indicator=indicator, measured_on=day, value=Decimal(value))
    return indicator


@pytest.fixture
def objective_2_rated(seeded):
    """Objective 2's relevance already rated, resting on an indicator of one of its sheets: the
    evaluation page then shows two tables for the same question."""
    sheet = ActionSheet.objects.filter(convention=seeded, objective__number=2).first()
    indicator = IndicatorFactory(sheet=sheet, label="Familles accompagnées", unit="familles")
    IndicatorValueFactory(indicator=indicator, measured_on=D(2025, 6, 30), value=Decimal(35))
    evaluation = Evaluation.objects.create(convention=seeded)
    answer = ObjectiveEvaluation.objects.create(
        evaluation=evaluation,
        objective=seeded.objectives.get(number=2),
        question="relevance",
        rating=3,
        evidence="Les familles repérées sont accompagnées.",
    )
    answer.indicators.add(indicator)
    return answer


@pytest.fixture
def names(coordinator, pilot):
    """Known names for the personas, as the pages show them."""
    coordinator.first_name, coordinator.last_name = "Claire", "Coordinatrice"
    coordinator.save()
    pilot.first_name, pilot.last_name = "Paul", "Pilote"
    pilot.save()


def relogin(page, login, username):
    page.context.clear_cookies()
    login(username)


def test_a_pilot_submits_a_review_a_coordinator_validates_reopens_and_writes_the_synthesis(
    login, page, portal, seeded, names, copil, places, check_page, tmp_path
):
    year_url = f"{portal}{CONVENTION}/bilans/2024/"
    review_url = f"{year_url}fiches/1/"
    sheet = ActionSheet.objects.get(convention=seeded, number=1)

    # 1. The pilot: the years, the 2024 bilan, sheet 1's review.
    login("pilote")
    page.goto(f"{portal}{CONVENTION}/")
    page.get_by_role("link", name="Bilans annuels").click()
    expect(page).to_have_url(f"{portal}{CONVENTION}/bilans/")
    check_page()
    page.get_by_role("link", name="Bilan 2024").click()
    expect(page).to_have_url(year_url)
    expect(page.locator("h1")).to_have_text("Bilan 2024")
    expect(page.locator("main")).to_contain_text(f"1. {sheet.title}")
    check_page()
    page.get_by_role("link", name=f"1. {sheet.title}").click()
    expect(page).to_have_url(review_url)
    expect(page.locator(".review-state")).to_have_text("non commencé")
    # Beside the form, the sheet as of 31/12/2024: the indicator against its 2024 target.
    computed = page.locator("section[aria-labelledby=computed-title]")
    expect(computed).to_contain_text("La fiche au 31/12/2024")
    row = computed.locator("tr", has_text="Places d’accueil du jeune enfant")
    expect(row).to_contain_text("99")
    expect(row).to_contain_text("105")
    expect(row).to_contain_text("non atteint")
    check_page()

    page.locator("#id_achievements").fill("Trois ateliers parents-enfants ouverts à Mazamet.")
    page.locator("#id_difficulties").fill("Recrutement des animateurs plus lent que prévu.")
    page.locator("#id_adjustments").fill("Ouvrir un atelier le samedi matin.")
    page.locator("#id_proposed_status").select_option(value="in_progress")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page).to_have_url(review_url)
    expect(page.locator(".messages")).to_contain_text("Bilan enregistré.")
    expect(page.locator(".review-state")).to_have_text("Brouillon")
    expect(page.locator("#id_adjustments")).to_have_value("Ouvrir un atelier le samedi matin.")
    page.get_by_role("button", name="Soumettre le bilan").click()
    expect(page.locator(".messages")).to_contain_text("Bilan soumis.")
    expect(page.locator(".review-state")).to_have_text("Soumis")
    today = timezone.localdate().strftime("%d/%m/%Y")  # the live server's real date
    expect(page.locator("main")).to_contain_text(f"soumis par Paul Pilote le {today}")
    check_page()
    review = SheetReview.objects.get(sheet=sheet, year=2024)
    assert review.state == SheetReview.State.SUBMITTED
    assert review.achievements == "Trois ateliers parents-enfants ouverts à Mazamet."
    assert review.proposed_status == "in_progress"

    # 2. The coordinator validates it, naming the COPIL: locked, read-only.
    relogin(page, login, "coordination")
    page.goto(review_url)
    page.get_by_label("Réunion qui l’a approuvé").select_option(value=str(copil.pk))
    check_page()
    page.get_by_role("button", name="Valider", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Bilan validé.")
    expect(page.locator(".review-state")).to_have_text("Validé")
    main = page.locator("main")
    expect(main).to_contain_text(
        f"validé par Claire Coordinatrice le {today} (COPIL du 14/03/2025)"
    )
    expect(main.get_by_role("status").filter(has_text="verrouillé")).to_contain_text(
        "Ce bilan est validé"
    )
    expect(page.locator("textarea")).to_have_count(0)
    expect(page.get_by_role("button", name="Enregistrer le brouillon")).to_have_count(0)
    expect(main).to_contain_text("Recrutement des animateurs plus lent que prévu.")
    check_page()
    review.refresh_from_db()
    assert review.state == SheetReview.State.VALIDATED and review.validated_meeting == copil

    # ... reopens it: a draft again, and the page's history says who reopened it.
    page.get_by_role("button", name="Rouvrir").click()
    expect(page.locator(".messages")).to_contain_text("Bilan rouvert")
    expect(page.locator(".review-state")).to_have_text("Brouillon")
    history = page.locator(".state-history li")
    expect(history).to_have_count(3)
    expect(history.nth(0)).to_contain_text("Soumis par Paul Pilote")
    expect(history.nth(1)).to_contain_text("Validé par Claire Coordinatrice")
    expect(history.nth(2)).to_contain_text(
        re.compile(rf"Rouvert par Claire Coordinatrice, le {today}")
    )
    expect(page.locator("#id_achievements")).to_be_editable()
    check_page()
    review.refresh_from_db()
    assert review.state == SheetReview.State.DRAFT and review.validated_meeting is None

    # 3. The year's synthesis.
    page.get_by_role("navigation", name="Fil d’Ariane").get_by_role(
        "link", name="Bilan 2024"
    ).click()
    expect(page).to_have_url(year_url)
    expect(page.locator("main tr", has_text=f"1. {sheet.title}")).to_contain_text("Brouillon")
    page.locator("#id_synthesis").fill("Une année de mise en route : 3 fiches sur 16 avancent.")
    page.get_by_role("button", name="Enregistrer la synthèse").click()
    expect(page.locator(".messages")).to_contain_text("Synthèse enregistrée.")
    expect(page.locator("#id_synthesis")).to_have_value(
        "Une année de mise en route : 3 fiches sur 16 avancent."
    )
    check_page()
    assert YearBilan.objects.get(convention=seeded, year=2024).synthesis.startswith("Une année")

    # A member reads the synthesis, without a form.
    relogin(page, login, "pilote")
    page.goto(year_url)
    expect(page.locator("main")).to_contain_text("Une année de mise en route")
    expect(page.locator("#id_synthesis")).to_have_count(0)
    check_page()

    # 4. The year's bilan as the COPIL receives it: the PDF and the Word document, read back.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF pour le comité de pilotage").click()
    pdf = tmp_path / "bilan.pdf"
    download_info.value.save_as(pdf)
    assert download_info.value.suggested_filename.endswith(".pdf")
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    for expected in [
        "Bilan 2024",
        "Sommaire",
        sheet.title[:40],
        "Trois ateliers parents-enfants ouverts à Mazamet.",
        "Une année de mise en route",
        "Places d’accueil du jeune enfant",
        "105",
        "Page 2 /",
    ]:
        assert expected in text, expected
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le document Word (modifiable)").click()
    path = tmp_path / "bilan.docx"
    download_info.value.save_as(path)
    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert any(sheet.title[:40] in heading for heading in headings), headings
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "Trois ateliers parents-enfants ouverts à Mazamet." in paragraphs
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "105" in " ".join(cells)


def test_the_coordinator_evaluates_objective_1_and_concludes(
    login, page, portal, seeded, coordinator, places, objective_2_rated, check_page
):
    evaluation_url = f"{portal}{CONVENTION}/evaluation/"
    login("coordination")
    page.goto(f"{portal}{CONVENTION}/")
    page.get_by_role("link", name="Évaluation", exact=True).click()
    expect(page).to_have_url(evaluation_url)
    expect(page.locator("#objective-1")).to_contain_text("0 question sur 4 appréciée")
    check_page()

    page.get_by_role("link", name="Évaluer l’objectif 1").click()
    expect(page).to_have_url(f"{evaluation_url}objectifs/1/")
    figures = page.get_by_role("region", name="Indicateurs des fiches de cet objectif")
    expect(figures).to_contain_text("Fiche 1 — Places d’accueil du jeune enfant (places)")
    check_page()
    for rating, question in enumerate(QUESTIONS, start=1):
        page.locator(f"#id_{question}-rating").select_option(value=str(rating))
        page.locator(f"#id_{question}-evidence").fill(f"Constat {rating} : 99 places fin 2024.")
        page.locator(f"fieldset:has(#id_{question}-rating)").get_by_label(
            "Fiche 1 — Places d’accueil du jeune enfant (places)"
        ).check()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page).to_have_url(f"{evaluation_url}#objective-1")
    expect(page.locator(".messages")).to_contain_text("Évaluation enregistrée.")
    objective = page.locator("#objective-1")
    expect(objective).to_contain_text("4 questions sur 4 appréciées")
    expect(objective).to_contain_text("4/4 — très satisfaisant")
    expect(objective).to_contain_text("Constat 2 : 99 places fin 2024.")
    expect(objective.locator("table")).to_have_count(4)
    expect(objective.locator("table").first).to_contain_text("Places d’accueil du jeune enfant")
    expect(page.locator("#objective-2")).to_contain_text("Familles accompagnées")
    check_page()
    answers = ObjectiveEvaluation.objects.filter(objective__number=1)
    assert sorted(answers.values_list("rating", flat=True)) == [1, 2, 3, 4]
    assert all(list(a.indicators.all()) == [places] for a in answers)

    page.get_by_role("link", name="Modifier la conclusion").click()
    expect(page).to_have_url(f"{evaluation_url}modifier/")
    check_page()
    page.locator("#id_conclusion").fill("Des résultats inégaux selon les objectifs.")
    page.locator("#id_recommendations").fill("Prioriser l’accueil du jeune enfant.")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page).to_have_url(evaluation_url)
    expect(page.locator(".messages")).to_contain_text("Évaluation enregistrée.")
    expect(page.locator("section[aria-labelledby=conclusion-title]")).to_contain_text(
        "Des résultats inégaux selon les objectifs."
    )
    expect(page.locator("section[aria-labelledby=recommendations-title]")).to_contain_text(
        "Prioriser l’accueil du jeune enfant."
    )
    check_page()
    assert Evaluation.objects.get(convention=seeded).recommendations.startswith("Prioriser")


def test_a_sheet_with_yearly_targets_its_edit_form_and_its_page(
    login, page, portal, coordinator, places, check_page
):
    login("coordination")
    page.goto(f"{portal}{CONVENTION}/fiches/1/modifier/")
    expect(page.locator("#id_indicators-0-label")).to_have_value("Places d’accueil du jeune enfant")
    for year, value in [(2023, "90"), (2024, "105"), (2025, "120")]:
        expect(page.get_by_label(f"Cible {year}").first).to_have_value(value)
    expect(page.locator("#id_indicators-0-baseline_source")).to_have_value(
        "Rapport d’activité de la CAF du Tarn 2022"
    )
    check_page()

    page.goto(f"{portal}{CONVENTION}/fiches/1/")
    indicator = page.locator("article", has_text="Places d’accueil du jeune enfant")
    expect(indicator.locator("svg")).to_have_count(1)
    expect(indicator).to_contain_text("au 31/12/2022")
    targets = indicator.locator("table.year-targets")
    expect(targets.locator("tbody tr")).to_have_count(3)
    expect(targets.locator("tr", has_text="2023")).to_contain_text("atteint")
    expect(targets.locator("tr", has_text="2024")).to_contain_text("non atteint")
    check_page()
