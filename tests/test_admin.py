"""The back-office: every model's list, add and change page, for the superuser."""

from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from actions.models import ActionSheet
from conventions.models import Convention

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
    Group.objects.create(name="Coordinateurs")


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
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    data.update({"status": "in_progress", "progress": 30})
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
