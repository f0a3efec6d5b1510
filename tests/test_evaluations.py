"""The evaluation of a convention: its models and their rules (the rating scale, one answer per
question and objective, indicators of the objective only), the page members read, the forms
coordinators write from the last year of the period on, conflicts and double submissions, and
the query-count guard of the evaluation page."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import ActionSheet
from conventions.models import StrategicObjective
from evaluations.models import Evaluation, ObjectiveEvaluation, Question

from .factories import ConventionFactory, IndicatorFactory, IndicatorValueFactory
from .helpers import once
from .test_action_sheet_list import add_sheets

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2025, 6, 10, 10, 0, tzinfo=PARIS)  # the seed's last year: open
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

SLUG = "thore-montagne-noire-2023-2025"
DETAIL = reverse("evaluations:detail", args=[SLUG])
EDIT = reverse("evaluations:edit", args=[SLUG])
NBSP = "\u00a0"


def objective_url(number, slug=SLUG):
    return reverse("evaluations:objective", args=[slug, number])


def text(response):
    return response.content.decode().replace("&nbsp;", NBSP).replace("&#x27;", "'")


def objective_payload(answers=None, versions=None, submission=None):
    """The objective form's post: every question empty at version 1 unless given."""
    answers, versions = answers or {}, versions or {}
    data = {"submission": submission or once()}
    for question in Question.values:
        answer = answers.get(question, {})
        data[f"{question}-rating"] = str(answer.get("rating", ""))
        data[f"{question}-evidence"] = answer.get("evidence", "")
        data[f"{question}-indicators"] = [str(pk) for pk in answer.get("indicators", [])]
        data[f"{question}-version"] = str(versions.get(question, 1))
    return data


def conclusion_payload(version=1, **fields):
    return {
        "conclusion": fields.get("conclusion", "Une convention utile."),
        "recommendations": fields.get("recommendations", "Renforcer la mobilité."),
        "version": str(version),
        "submission": once(),
    }


@pytest.fixture
def indicators(seeded):
    """Two indicators on sheet 1 (objective 1), one on sheet 8 (objective 2)."""
    sheet1 = ActionSheet.objects.get(convention=seeded, number=1)
    sheet8 = ActionSheet.objects.get(convention=seeded, number=8)
    places = IndicatorFactory(
        sheet=sheet1,
        label="Places d’accueil",
        unit="places",
        baseline=Decimal("60"),
        target=Decimal("80"),
    )
    IndicatorValueFactory(indicator=places, measured_on=datetime.date(2024, 12, 31), value=70)
    IndicatorValueFactory(indicator=places, measured_on=datetime.date(2025, 5, 31), value=82)
    waiting = IndicatorFactory(
        sheet=sheet1,
        label="Jours d’attente",
        unit="jours",
        baseline=Decimal("30"),
        target=Decimal("20"),
    )
    IndicatorValueFactory(indicator=waiting, measured_on=datetime.date(2025, 5, 31), value=25)
    doctors = IndicatorFactory(sheet=sheet8, label="Médecins installés", unit="", target=None)
    return places, waiting, doctors


def answer(evaluation, objective, question, **fields):
    return ObjectiveEvaluation.objects.create(
        evaluation=evaluation, objective=objective, question=question, **fields
    )


# --- models ---------------------------------------------------------------------------------


def test_a_rating_outside_the_scale_is_refused_by_the_database(seeded):
    evaluation = Evaluation.objects.create(convention=seeded)
    objective = seeded.objectives.get(number=1)
    for rating in (0, 5):
        row = ObjectiveEvaluation(
            evaluation=evaluation, objective=objective, question="relevance", rating=rating
        )
        with pytest.raises(ValidationError) as error:
            row.full_clean()  # the field's choices
        assert error.value.messages == [
            f"La valeur «{NBSP}{rating}{NBSP}» n’est pas un choix valide."
        ]
        with pytest.raises(ValidationError) as error:
            row.validate_constraints()  # and the database's constraint, in French
        assert error.value.messages == ["Une appréciation va de 1 à 4."]
        with pytest.raises(IntegrityError), transaction.atomic():
            row.save()
    assert not ObjectiveEvaluation.objects.exists()


def test_one_answer_per_question_and_objective(seeded):
    evaluation = Evaluation.objects.create(convention=seeded)
    objective = seeded.objectives.get(number=1)
    answer(evaluation, objective, "relevance")
    twin = ObjectiveEvaluation(evaluation=evaluation, objective=objective, question="relevance")
    with pytest.raises(ValidationError) as error:
        twin.validate_constraints()
    assert error.value.messages == ["Cette question a déjà une réponse pour cet objectif."]
    unknown = ObjectiveEvaluation(evaluation=evaluation, objective=objective, question="beauty")
    with pytest.raises(IntegrityError), transaction.atomic():
        unknown.save()


def test_an_answer_rests_only_on_indicators_of_its_objective(seeded, indicators):
    places, _waiting, doctors = indicators
    evaluation = Evaluation.objects.create(convention=seeded)
    row = answer(evaluation, seeded.objectives.get(number=1), "effectiveness")
    row.indicators.add(places)
    with pytest.raises(ValidationError) as error, transaction.atomic():
        row.indicators.add(doctors)
    assert error.value.messages == ["Choisissez des indicateurs des fiches de cet objectif."]
    with pytest.raises(ValidationError), transaction.atomic():
        doctors.evaluation_answers.add(row)
    assert list(row.indicators.all()) == [places]


def test_an_objective_of_another_convention_is_refused(seeded, other_convention):
    evaluation = Evaluation.objects.create(convention=seeded)
    foreign = StrategicObjective.objects.create(
        convention=other_convention, number=1, title="Autre"
    )
    row = ObjectiveEvaluation(evaluation=evaluation, objective=foreign, question="relevance")
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert error.value.message_dict["objective"] == [
        "Choisissez un objectif de la convention évaluée."
    ]


# --- the page -------------------------------------------------------------------------------


def test_members_read_the_evaluation(client, seeded, indicators, elected):
    places, waiting, _doctors = indicators
    evaluation = Evaluation.objects.create(
        convention=seeded, conclusion="Des résultats inégaux.", recommendations="Prioriser."
    )
    objective = seeded.objectives.get(number=1)
    row = answer(evaluation, objective, "effectiveness", rating=3, evidence="Places créées.")
    row.indicators.set([places, waiting])
    answer(evaluation, objective, "relevance", rating=1, evidence="Besoins mal cernés.")
    client.force_login(elected)
    response = client.get(DETAIL)
    assert response.status_code == 200
    page = text(response)
    assert "Évaluation de la convention" in page
    # Every objective, in the convention's order, with its four questions.
    positions = [page.index(f"Objectif {n} —") for n in range(1, 8)]
    assert positions == sorted(positions)
    for question in ("Pertinence", "Efficacité", "Efficience", "Pérennité"):
        assert page.count(f">{question}</h3>") == 7
    assert "3/4 — satisfaisant" in page and "1/4 — insuffisant" in page
    assert "Places créées." in page and "Besoins mal cernés." in page
    assert "2 questions sur 4 appréciées" in page
    # The indicators the answer rests on, with baseline, target, last value and reached.
    assert "Fiche 1 — Places d’accueil (places)" in page
    assert '<td class="text-end">60</td>' in page and '<td class="text-end">80</td>' in page
    assert '82 <span class="text-body-secondary">(31/05/2025)</span>' in page
    # Fewer waiting days is the aim (target under the baseline): 25 is not 20.
    assert page.count(">atteint<") == 1 and page.count(">non atteint<") == 1
    assert "Des résultats inégaux." in page and "Prioriser." in page
    # A reader is offered no edit.
    assert EDIT not in page and objective_url(1) not in page


def test_the_page_before_anything_is_written(client, seeded, coordinator):
    client.force_login(coordinator)
    page = text(client.get(DETAIL))
    assert page.count("non évalué") == 28  # 7 objectives × 4 questions
    assert page.count("Pas encore rédigé.") == 2
    assert EDIT in page and objective_url(7) in page


# --- the period -----------------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2024, 12, 31, 23, 0, tzinfo=PARIS), tick=False)
def test_before_the_last_year_the_page_says_when_it_opens(client, seeded, coordinator):
    client.force_login(coordinator)
    message = (
        "L’évaluation pourra être rédigée à partir du 1er janvier 2025, dernière année de la "
        "convention."
    )
    page = text(client.get(DETAIL))
    assert message in page
    assert EDIT not in page and objective_url(1) not in page
    for url, payload in (
        (EDIT, conclusion_payload()),
        (objective_url(1), objective_payload({"relevance": {"rating": 3}})),
    ):
        response = client.get(url)
        assert response.status_code == 403 and message in text(response)
        response = client.post(url, payload)
        assert response.status_code == 403 and message in text(response)
    assert not Evaluation.objects.exists() and not ObjectiveEvaluation.objects.exists()


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2025, 1, 1, 0, 5, tzinfo=PARIS),  # the last year begins
        datetime.datetime(2027, 3, 1, 9, 0, tzinfo=PARIS),  # the period has ended
    ],
)
def test_open_during_the_last_year_and_after(client, seeded, coordinator, moment):
    with time_machine.travel(moment, tick=False):
        client.force_login(coordinator)
        assert client.get(EDIT).status_code == 200
        response = client.post(EDIT, conclusion_payload())
    assert response.status_code == 302
    assert Evaluation.objects.get().conclusion == "Une convention utile."


# --- writing --------------------------------------------------------------------------------


def test_a_coordinator_evaluates_an_objective(client, seeded, indicators, coordinator):
    places, _waiting, _doctors = indicators
    client.force_login(coordinator)
    response = client.get(objective_url(1))
    page = text(response)
    assert response.status_code == 200
    # Only the indicators of objective 1's sheets are offered.
    assert "Fiche 1 — Places d’accueil (places)" in page
    assert "Médecins installés" not in page
    payload = objective_payload(
        {
            "relevance": {"rating": 4, "evidence": "Besoins confirmés."},
            "effectiveness": {"rating": 2, "evidence": "À moitié.", "indicators": [places.pk]},
        }
    )
    response = client.post(objective_url(1), payload)
    assert response.status_code == 302
    assert response["Location"] == f"{DETAIL}#objective-1"
    rows = {row.question: row for row in ObjectiveEvaluation.objects.all()}
    assert set(rows) == set(Question.values)  # the four, the unrated ones empty
    assert rows["relevance"].rating == 4 and rows["effectiveness"].rating == 2
    assert rows["efficiency"].rating is None and rows["durability"].evidence == ""
    assert list(rows["effectiveness"].indicators.all()) == [places]
    assert all(row.version == 2 for row in rows.values())
    # One history record of the save, holding its indicators.
    record = rows["effectiveness"].history.first()
    assert record.history_user == coordinator and record.version == 2
    assert [r.indicator_id for r in record.indicators.all()] == [places.pk]
    page = text(client.get(DETAIL))
    assert "4/4 — très satisfaisant" in page and "2/4 — à améliorer" in page
    assert "Évaluation enregistrée." in page
    # Edited again from what is saved.
    response = client.get(objective_url(1))
    form = response.context["form"]
    assert form.answers[1].initial == {
        "version": 2,
        "rating": 2,
        "evidence": "À moitié.",
        "indicators": [places.pk],
    }


@pytest.mark.parametrize("rating", ["5", "0", "-1", "trois"])
def test_a_rating_outside_the_scale_is_refused(client, seeded, coordinator, rating):
    client.force_login(coordinator)
    payload = objective_payload({"relevance": {"rating": 3}})
    payload["efficiency-rating"] = rating
    response = client.post(objective_url(1), payload)
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in text(response)
    assert "Efficience — Appréciation" in text(response)
    assert not ObjectiveEvaluation.objects.exists() and not Evaluation.objects.exists()


def test_a_forged_indicator_is_refused(client, seeded, indicators, coordinator, other_convention):
    places, _waiting, doctors = indicators
    foreign = IndicatorFactory(sheet__convention=other_convention)
    client.force_login(coordinator)
    for forged in (doctors.pk, foreign.pk, 2**70):
        payload = objective_payload(
            {"effectiveness": {"rating": 3, "indicators": [places.pk, forged]}}
        )
        response = client.post(objective_url(1), payload)
        assert response.status_code == 400
        assert (
            f"Choisissez des indicateurs des fiches de cet objectif{NBSP}: {forged} n’en fait "
            "pas partie." in text(response)
        )
    assert not ObjectiveEvaluation.objects.exists() and not Evaluation.objects.exists()


def test_an_objective_of_another_convention_is_not_found(client, seeded, coordinator):
    client.force_login(coordinator)
    assert client.get(objective_url(8)).status_code == 404
    other = ConventionFactory(slug="autre", start_year=2021, end_year=2025)
    StrategicObjective.objects.create(convention=other, number=9, title="Autre")
    assert client.post(objective_url(9), objective_payload()).status_code == 404


def test_the_conclusion_and_recommendations(client, seeded, coordinator):
    client.force_login(coordinator)
    response = client.post(EDIT, conclusion_payload())
    assert response.status_code == 302 and response["Location"] == DETAIL
    evaluation = Evaluation.objects.get()
    assert evaluation.version == 2 and evaluation.recommendations == "Renforcer la mobilité."
    response = client.get(EDIT)
    assert response.context["form"].initial["version"] == 2
    assert "Une convention utile." in text(response)


def test_a_double_submission_writes_once(client, seeded, coordinator):
    client.force_login(coordinator)
    payload = objective_payload({"durability": {"rating": 3, "evidence": "Durable."}})
    assert client.post(objective_url(2), payload).status_code == 302
    second = client.post(objective_url(2), payload, follow=True)
    assert "Ces modifications ont déjà été enregistrées." in text(second)
    row = ObjectiveEvaluation.objects.get(question="durability")
    assert row.version == 2 and row.history.count() == 2  # its creation and one save
    conclusion = conclusion_payload()
    assert client.post(EDIT, conclusion).status_code == 302
    client.post(EDIT, conclusion)
    assert Evaluation.objects.get().version == 2


def test_a_save_from_an_older_version_is_refused_and_told(client, seeded, coordinator, superuser):
    client.force_login(superuser)
    client.post(objective_url(1), objective_payload({"relevance": {"rating": 4}}))
    client.force_login(coordinator)
    mine = objective_payload({"relevance": {"rating": 1, "evidence": "Mal ciblé."}})
    response = client.post(objective_url(1), mine)  # opened before the superuser's save
    assert response.status_code == 409
    page = text(response)
    assert "L’évaluation a été enregistrée par quelqu’un d’autre" in page
    assert f"Pertinence — Appréciation{NBSP}: — → très satisfaisant" in page
    row = ObjectiveEvaluation.objects.get(question="relevance")
    assert row.rating == 4 and row.version == 2
    # The form keeps the user's input and carries the current versions: saving applies it.
    form = response.context["form"]
    assert form.answers[0]["version"].value() == "2"
    assert form.answers[0]["evidence"].value() == "Mal ciblé."
    again = objective_payload(
        {"relevance": {"rating": 1, "evidence": "Mal ciblé."}},
        versions=dict.fromkeys(Question.values, 2),
    )
    assert client.post(objective_url(1), again).status_code == 302
    assert ObjectiveEvaluation.objects.get(question="relevance").rating == 1


def test_a_stale_conclusion_is_refused_and_told(client, seeded, coordinator, superuser):
    client.force_login(superuser)
    client.post(EDIT, conclusion_payload(conclusion="La leur."))
    client.force_login(coordinator)
    response = client.post(EDIT, conclusion_payload(conclusion="La mienne."))
    assert response.status_code == 409
    assert f"Conclusion{NBSP}: texte modifié" in text(response)
    assert Evaluation.objects.get().conclusion == "La leur."
    assert response.context["form"]["version"].value() == "2"


# --- query counts ---------------------------------------------------------------------------


def evaluate_everything(convention):
    evaluation, _ = Evaluation.objects.get_or_create(convention=convention)
    for objective in convention.objectives.all():
        for question in Question.values:
            row = answer(evaluation, objective, question, rating=3, evidence="Oui.")
            row.indicators.set(
                list(
                    objective.action_sheets.values_list("indicators", flat=True).exclude(
                        indicators=None
                    )[:20]
                )
            )


def test_the_evaluation_page_query_count_does_not_grow(client, seeded, coordinator, indicators):
    client.force_login(coordinator)
    evaluate_everything(seeded)
    with CaptureQueriesContext(connection) as small:
        assert client.get(DETAIL).status_code == 200
    add_sheets(seeded, 284)  # 300 sheets, each with an indicator and a value, on objective 1
    ObjectiveEvaluation.objects.all().delete()
    evaluate_everything(seeded)
    with CaptureQueriesContext(connection) as large:
        response = client.get(DETAIL)
    assert len(response.context["objectives"][0].answers[0].indicators) == 20
    # The session, the user, the convention and role, the evaluation, its answers, their
    # indicators with their last values, the objectives.
    assert len(large) == len(small) <= 7, [q["sql"] for q in large.captured_queries]


def test_the_objective_page_query_count_does_not_grow(client, seeded, coordinator, indicators):
    client.force_login(coordinator)
    evaluate_everything(seeded)
    with CaptureQueriesContext(connection) as small:
        assert client.get(objective_url(1)).status_code == 200
    add_sheets(seeded, 284)
    with CaptureQueriesContext(connection) as large:
        assert client.get(objective_url(1)).status_code == 200
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


# --- the back-office ------------------------------------------------------------------------


def test_the_admin_pages_answer_and_a_save_moves_the_version(client, seeded, superuser):
    evaluation = Evaluation.objects.create(convention=seeded, conclusion="Avant.")
    row = answer(evaluation, seeded.objectives.get(number=1), "relevance", rating=2)
    client.force_login(superuser)
    for obj in (evaluation, row):
        name = f"admin:evaluations_{obj._meta.model_name}"
        assert client.get(reverse(f"{name}_changelist")).status_code == 200
        assert client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200
        assert client.get(reverse(f"{name}_history", args=[obj.pk])).status_code == 200
    assert client.get(reverse("admin:evaluations_evaluation_add")).status_code == 200
    # Answers are written from the portal's page, where their indicators are offered.
    assert client.get(reverse("admin:evaluations_objectiveevaluation_add")).status_code == 403
    page = text(client.get(reverse("admin:evaluations_evaluation_change", args=[evaluation.pk])))
    assert "Modifier l’évaluation" in page
    url = reverse("admin:evaluations_evaluation_change", args=[evaluation.pk])
    data = {"convention": seeded.pk, "conclusion": "Après.", "recommendations": ""}
    assert client.post(url, data).status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.conclusion == "Après." and evaluation.version == 2
