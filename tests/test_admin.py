"""The back-office: every model's list, add and change page, for the superuser."""

from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import INVITATION_VALIDITY, ApiToken, Invitation
from actions.models import ActionSheet
from bilans.models import SheetReview, YearBilan
from committees.models import AgendaItem, Attendance, Decision, Meeting
from conventions.models import CafMembership, Convention
from documents.models import Document
from evaluations.models import Evaluation, ObjectiveEvaluation
from printouts.models import Printout

from .factories import (
    ActionSheetFactory,
    ConventionFactory,
    FundingAmountFactory,
    FundingLineFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    MembershipFactory,
    PaymentFactory,
    ProgressNoteFactory,
    SignatoryFactory,
    StepFactory,
    StructureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MODELS = sorted(site._registry, key=lambda m: m._meta.label)


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def add_one_of_each(convention):
    """Make sure every registered model has at least one row, so change pages can be opened."""
    sheet = ActionSheetFactory(convention=convention, number=90)
    StepFactory(sheet=sheet)
    IndicatorValueFactory(indicator=IndicatorFactory(sheet=sheet))
    ProgressNoteFactory(sheet=sheet)
    PaymentFactory(funding_amount=convention.funding_lines.first().amounts.first())
    MembershipFactory(convention=convention)
    CafMembership.objects.create(user=UserFactory(), caf=convention.caf, role="staff")
    invitee = UserFactory()
    ApiToken.objects.create(user=invitee, name="Tableur", prefix="0123456789ab", digest="0" * 64)
    Printout.objects.create(
        convention=convention,
        name="bilan-2024.pdf",
        key="0" * 64,
        state=Printout.State.READY,
        started_at=timezone.now(),
    )
    Invitation.objects.create(
        convention=convention,
        user=invitee,
        email="invitee@example.org",
        role="pilot",
        token_digest="0" * 64,
        expires_at=timezone.now() + INVITATION_VALIDITY,
    )
    Group.objects.create(name="Coordinateurs")
    add_meeting_with_decision(convention, sheet)
    SheetReview.objects.create(sheet=sheet, year=2024)
    YearBilan.objects.create(convention=convention, year=2024)
    evaluation = Evaluation.objects.create(convention=convention, conclusion="Conclusion.")
    ObjectiveEvaluation.objects.create(
        evaluation=evaluation, objective=convention.objectives.first(), question="relevance"
    )
    Document.objects.create(
        convention=convention, title="Diagnostic", date=timezone.localdate(), url="https://a.fr/"
    )


def add_meeting_with_decision(convention, sheet):
    """A meeting of each of the committees' admin pages: attendance, agenda, a decision."""
    meeting = Meeting.objects.create(convention=convention, title="COPIL", starts_at=timezone.now())
    Attendance.objects.create(meeting=meeting, user=UserFactory())
    AgendaItem.objects.create(meeting=meeting, title="Point")
    Decision.objects.create(meeting=meeting, text="Décision").sheets.add(sheet)


def add_bulk(n):
    """n more conventions, each with sheets, steps, indicators, notes and funding."""
    for _ in range(n):
        convention = ConventionFactory()
        SignatoryFactory(convention=convention)
        MembershipFactory(convention=convention)
        for _ in range(3):
            sheet = ActionSheetFactory(convention=convention)
            StepFactory(sheet=sheet)
            IndicatorValueFactory(indicator=IndicatorFactory(sheet=sheet))
            ProgressNoteFactory(sheet=sheet)
        StructureFactory(convention=convention)
        line = FundingLineFactory(convention=convention)
        PaymentFactory(funding_amount=FundingAmountFactory(line=line, year=2024))


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_admin_pages_answer(client, superuser, seeded, model):
    add_one_of_each(seeded)
    # django-axes's records: a successful login, then a failed one (a success resets failures).
    client.post(reverse("login"), {"username": "admin", "password": "password"})
    client.post(reverse("login"), {"username": "admin", "password": "faux"})
    client.force_login(superuser)
    assert client.get(admin_url(model, "changelist")).status_code == 200
    request = RequestFactory().get("/")
    request.user = superuser
    can_add = site._registry[model].has_add_permission(request)
    assert client.get(admin_url(model, "add")).status_code == (200 if can_add else 403)
    obj = model.objects.order_by("pk").first()
    assert client.get(admin_url(model, "change", obj.pk)).status_code == 200
    if hasattr(model, "history"):
        assert client.get(admin_url(model, "history", obj.pk)).status_code == 200


def changelist_queries(client, model, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_admin_list_query_count_does_not_grow(
    client, superuser, seeded, model, django_assert_max_num_queries
):
    add_one_of_each(seeded)
    client.force_login(superuser)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(admin_url(model, "changelist")).status_code == 200
    add_bulk(12)
    with CaptureQueriesContext(connection) as large:
        assert client.get(admin_url(model, "changelist")).status_code == 200
    assert len(large) <= len(small), [q["sql"] for q in large.captured_queries]
    assert len(large) <= 15


def test_convention_change_page_shows_funding_totals(client, superuser, seeded):
    client.force_login(superuser)
    response = client.get(admin_url(Convention, "change", seeded.pk))
    html = response.content.decode()
    assert "241\u00a0801\u00a0€" in html
    assert "725\u00a0403\u00a0€" in html


def test_admin_lists_seed_figures(client, superuser, seeded):
    client.force_login(superuser)
    response = client.get(admin_url(Convention, "changelist"))
    assert response.context["cl"].result_count == 1
    row = response.context["cl"].result_list[0]
    assert row._sheet_count == 16
    from funding.models import FundingAmount, FundingLine

    lines = client.get(admin_url(FundingLine, "changelist"))
    assert lines.context["cl"].result_count == 9
    assert "122\u00a0400\u00a0€" in lines.content.decode()  # 40 800 × 3, La Petite Loco
    amounts = client.get(admin_url(FundingAmount, "changelist") + "?year=2025")
    assert amounts.context["year_totals"] == [(2025, "241\u00a0801\u00a0€")]


def test_admin_edit_is_recorded_in_history(client, superuser, seeded):
    client.force_login(superuser)
    sheet = seeded.action_sheets.get(number=4)
    response = client.get(admin_url(ActionSheet, "change", sheet.pk))
    data = form_data(response, status="in_progress", progress=30)
    for prefix in ("steps", "indicators", "notes"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(admin_url(ActionSheet, "change", sheet.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    sheet.refresh_from_db()
    assert (sheet.status, sheet.progress, sheet.version) == ("in_progress", 30, 2)
    record = sheet.history.first()
    assert record.history_user == superuser
    assert Decimal(record.progress) == 30


@pytest.mark.parametrize(
    ("action", "content_type"),
    [
        ("export_funding_xlsx", "spreadsheetml"),
        ("export_funding_ods", "opendocument"),
        ("export_funding_csv", "text/csv"),
        ("export_sheets_xlsx", "spreadsheetml"),
    ],
)
def test_admin_offers_the_exports(client, superuser, seeded, action, content_type):
    client.force_login(superuser)
    response = client.post(
        admin_url(Convention, "changelist"),
        {"action": action, "_selected_action": [seeded.pk]},
    )
    assert response.status_code == 200
    assert content_type in response["Content-Type"]
    assert seeded.slug in response["Content-Disposition"]


def form_data(response, **changes):
    """The POST data of the admin form in `response`, as shown, with `changes` applied."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    data.update(changes)
    return data


def no_inlines(data):
    for prefix in ("steps", "indicators", "notes"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return data


# simple-history's revert page reads `onclick_attrib`, a variable Django's admin no longer sets.
@pytest.mark.ignore_template_errors
def test_admin_revert_never_moves_the_version_back(client, superuser, coordinator, seeded):
    from .helpers import sheet_edit_payload

    sheet = seeded.action_sheets.get(number=4)
    edit = reverse("actions:edit", args=[sheet.convention.slug, 4])
    client.force_login(coordinator)
    assert client.post(edit, sheet_edit_payload(sheet, progress=10)).status_code == 302
    sheet.refresh_from_db()
    stale = sheet_edit_payload(sheet, goals="Saisie d’un formulaire ouvert à la version 2")
    assert client.post(edit, sheet_edit_payload(sheet, progress=20)).status_code == 302

    admin = client.__class__()
    admin.force_login(superuser)
    first = sheet.history.earliest()  # version 1, progress 0
    url = admin_url(ActionSheet, "simple_history", sheet.pk, first.history_id)
    response = admin.post(url, form_data(admin.get(url)))
    assert response.status_code == 302, response.context["adminform"].form.errors
    sheet.refresh_from_db()
    assert (sheet.progress, sheet.version) == (0, 4)  # the old values, a new version
    assert sheet.history.latest().history_user == superuser

    # The form opened at version 2 meets version 4: merged, the revert's progress kept.
    assert client.post(edit, stale).status_code == 302
    sheet.refresh_from_db()
    assert (sheet.goals, sheet.progress, sheet.version) == (
        "Saisie d’un formulaire ouvert à la version 2",
        0,
        5,
    )


def test_admin_change_bumps_the_version_through_the_service(client, superuser, seeded):
    sheet = seeded.action_sheets.get(number=4)
    client.force_login(superuser)
    url = admin_url(ActionSheet, "change", sheet.pk)
    page = client.get(url)
    ActionSheet.objects.filter(pk=sheet.pk).update(version=7)  # saved meanwhile elsewhere
    response = client.post(url, no_inlines(form_data(page, progress=40)))
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert (sheet.progress, sheet.version) == (40, 8)
    assert sheet.history.count() == 2  # one record for the sheet and its links


@pytest.fixture
def foreign(other_convention):
    """Objects of another convention, that no object of the seed convention may link to."""
    from .factories import ChallengeFactory, DomainFactory, ObjectiveFactory, SignatoryFactory

    return {
        "partner": SignatoryFactory(convention=other_convention).partner,
        "domain": DomainFactory(convention=other_convention),
        "challenge": ChallengeFactory(convention=other_convention),
        "objective": ObjectiveFactory(convention=other_convention),
        "structure": StructureFactory(convention=other_convention),
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("domains", lambda f, o: [f["domain"].pk]),
        ("objective", lambda f, o: f["objective"].pk),
        ("pilots", lambda f, o: [o.pk]),
        ("partners", lambda f, o: [f["partner"].pk]),
        ("lead_partner", lambda f, o: f["partner"].pk),
    ],
)
def test_admin_refuses_another_conventions_objects_on_a_sheet(
    client, superuser, seeded, foreign, outsider, field, value
):
    sheet = seeded.action_sheets.get(number=4)
    client.force_login(superuser)
    url = admin_url(ActionSheet, "change", sheet.pk)
    data = no_inlines(form_data(client.get(url), **{field: value(foreign, outsider)}))
    response = client.post(url, data)
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    sheet.refresh_from_db()
    assert sheet.version == 1 and sheet.history.count() == 1


def test_admin_add_refuses_another_conventions_links(client, superuser, seeded, foreign, outsider):
    client.force_login(superuser)
    url = admin_url(ActionSheet, "add")
    data = no_inlines(
        form_data(
            client.get(url),
            convention=seeded.pk,
            number=40,
            title="Fiche d’essai",
            objective=seeded.objectives.first().pk,
            domains=[foreign["domain"].pk],
            pilots=[outsider.pk],
            status="todo",
            priority="medium",
            progress=0,
        )
    )
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Choisissez uniquement parmi ce qui relève de cette convention" in str(errors["domains"])
    assert "pilots" in errors
    assert not seeded.action_sheets.filter(number=40).exists()
    # The objective, a foreign key, is refused by the model's clean().
    data.update(domains=[], pilots=[], objective=foreign["objective"].pk)
    errors = client.post(url, data).context["adminform"].form.errors
    assert "objectif de la convention de cette fiche" in str(errors["objective"])
    # With the convention's own, the sheet is created: one history record, links included.
    domain = seeded.domains.first()
    data.update(objective=seeded.objectives.first().pk, domains=[domain.pk])
    assert client.post(url, data).status_code == 302
    record = seeded.action_sheets.get(number=40).history.get()
    assert record.history_type == "+" and record.history_user == superuser
    assert [row.domain for row in record.domains.all()] == [domain]


def test_admin_refuses_another_conventions_challenges_and_structures(
    client, superuser, seeded, foreign
):
    from conventions.models import StrategicObjective
    from funding.models import FundingLine

    client.force_login(superuser)
    objective = seeded.objectives.first()
    url = admin_url(StrategicObjective, "change", objective.pk)
    for field in ("challenges", "domains"):
        value = [foreign[field.removesuffix("s")].pk]
        response = client.post(url, form_data(client.get(url), **{field: value}))
        assert field in response.context["adminform"].form.errors
    url = admin_url(StrategicObjective, "add")
    response = client.post(
        url,
        {
            "convention": seeded.pk,
            "number": 40,
            "title": "Essai",
            "challenges": [foreign["challenge"].pk],
        },
    )
    assert "challenges" in response.context["adminform"].form.errors
    assert not seeded.objectives.filter(number=40).exists()

    line = seeded.funding_lines.first()
    url = admin_url(FundingLine, "change", line.pk)
    data = form_data(client.get(url), structure=foreign["structure"].pk)
    data.update({"amounts-TOTAL_FORMS": 0, "amounts-INITIAL_FORMS": 0})
    response = client.post(url, data)
    assert "structure" in response.context["adminform"].form.errors
    line.refresh_from_db()
    assert line.structure_id != foreign["structure"].pk


def autocomplete(client, model, field, referer=None):
    params = {
        "app_label": model._meta.app_label,
        "model_name": model._meta.model_name,
        "field_name": field,
        "term": "",
    }
    headers = {"referer": f"http://testserver{referer}"} if referer else {}
    response = client.get(reverse("admin:autocomplete"), params, headers=headers)
    assert response.status_code == 200
    return {row["text"] for row in response.json()["results"]}


def test_admin_autocompletes_keep_to_the_objects_convention(
    client, superuser, seeded, foreign, outsider, coordinator
):
    from conventions.models import StrategicObjective

    client.force_login(superuser)
    sheet = seeded.action_sheets.get(number=4)
    page = admin_url(ActionSheet, "change", sheet.pk)
    domains = autocomplete(client, ActionSheet, "domains", page)
    assert domains == set(seeded.domains.values_list("name", flat=True))
    assert foreign["domain"].name in autocomplete(client, ActionSheet, "domains")  # add page
    objectives = autocomplete(client, ActionSheet, "objective", page)
    assert str(foreign["objective"]) not in objectives and len(objectives) == 7
    pilots = autocomplete(client, ActionSheet, "pilots", page)
    assert coordinator.username in pilots and outsider.username not in pilots
    partners = autocomplete(client, ActionSheet, "partners", page)
    assert partners == {*seeded.signatories.values_list("name", flat=True), seeded.epci.name}
    objective = seeded.objectives.first()
    page = admin_url(StrategicObjective, "change", objective.pk)
    challenges = autocomplete(client, StrategicObjective, "challenges", page)
    assert challenges == set(seeded.challenges.values_list("title", flat=True))
