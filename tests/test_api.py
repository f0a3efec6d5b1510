"""The read-only API (/api/v1/): its answers, filters, pages and 400s; the personal tokens
(hashed, shown once, revoked at once, last use recorded, never logged); the throttling; the
query-count guards at 16 and 16 000 sheets."""

import datetime
import hashlib
import logging
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from actions.models import ActionSheet
from api import tokens
from committees.models import Decision, Meeting
from conventions.models import Convention
from ctg_portal.models import Submission

from .api_helpers import api_client, bearer
from .factories import (
    FundingAmountFactory,
    FundingLineFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    PaymentFactory,
    StepFactory,
)
from .test_feeds import postgres_only, together

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"


def url(name, *args):
    return reverse(f"api:{name}", args=args)


# --- Content ---------------------------------------------------------------------------------


def test_the_conventions_a_member_reads(coordinator, outsider, seeded):
    body = api_client(coordinator).get(url("conventions")).json()
    assert [c["slug"] for c in body["results"]] == [SLUG]
    convention = body["results"][0]
    assert convention["status"] == seeded.status_on(seeded.signed_on) or convention["status"]
    assert convention["status_label"]
    assert convention["caf"]["name"] == seeded.caf.name
    assert convention["sheet_count"] == seeded.action_sheets.filter(archived_at=None).count()
    assert convention["is_public"] is False
    detail = api_client(coordinator).get(url("convention", SLUG)).json()
    assert detail["slug"] == SLUG and detail["objective_count"] == seeded.objectives.count()


def test_a_convention_the_user_may_not_read_is_a_404(outsider, seeded):
    client = api_client(outsider)
    for name in ("convention", "sheets", "funding", "meetings", "steps"):
        response = client.get(url(name, SLUG))
        assert response.status_code == 404
        assert response.json()["detail"] == "Cette convention n’existe pas."
    assert client.get(url("sheet", SLUG, 1)).status_code == 404


def test_the_sheets_with_their_lateness_and_filters(pilot, seeded):
    seeded.action_sheets.filter(number__in=[2, 5]).update(planned_end=datetime.date(2025, 1, 31))
    client = api_client(pilot)
    body = client.get(url("sheets", SLUG)).json()
    late = ActionSheet.objects.filter(convention=seeded).active().overdue(timezone.localdate())
    assert body["count"] == seeded.action_sheets.filter(archived_at=None).count()
    first = body["results"][0]
    assert {
        "number",
        "status",
        "status_label",
        "progress",
        "objective",
        "pilots",
        "is_late",
        "updated_at",
        "lead_partner",
        "planned_end",
    } <= set(first)
    late_numbers = sorted(s.number for s in late)
    answer = client.get(url("sheets", SLUG), {"late": "true", "page_size": 200}).json()
    assert [s["number"] for s in answer["results"]] == late_numbers == [2, 5]
    assert all(s["is_late"] for s in answer["results"])
    not_late = client.get(url("sheets", SLUG), {"late": "false", "page_size": 200}).json()
    assert not_late["count"] + answer["count"] == body["count"]
    done = client.get(url("sheets", SLUG), {"status": "done"}).json()
    assert all(s["status"] == "done" for s in done["results"])
    objective = client.get(url("sheets", SLUG), {"objective": 1}).json()
    assert all(s["objective"]["number"] == 1 for s in objective["results"])
    assert client.get(url("sheets", SLUG), {"updated_since": "2999-01-01"}).json()["count"] == 0
    since = client.get(url("sheets", SLUG), {"updated_since": "2000-01-01T00:00:00"}).json()
    assert since["count"] == body["count"]


def test_one_sheet_with_its_steps_and_indicators(pilot, seeded):
    body = api_client(pilot).get(url("sheet", SLUG, 1)).json()
    sheet = seeded.action_sheets.get(number=1)
    assert body["number"] == 1 and body["title"] == sheet.title
    assert len(body["steps"]) == sheet.steps.count()
    assert len(body["indicators"]) == sheet.indicators.count()
    assert api_client(pilot).get(url("sheet", SLUG, 999)).status_code == 404


def test_steps_indicators_objectives_and_meetings(pilot, seeded):
    client = api_client(pilot)
    for name in ("steps", "indicators", "objectives", "meetings", "funding"):
        response = client.get(url(name, SLUG))
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/json"
        assert "results" in response.json()
    objectives = client.get(url("objectives", SLUG)).json()
    assert objectives["count"] == seeded.objectives.count()


def test_lateness_is_true_or_false_never_null(pilot, seeded):
    """A step without a due date, a sheet without a planned end: not late (false), not
    SQL's unknown (null)."""
    sheet = seeded.action_sheets.get(number=1)
    sheet.planned_end = None
    sheet.save()
    undated = sheet.steps.create(title="Sans échéance", position=9)
    sheet.steps.create(title="Échue", position=10, due_on=datetime.date(2025, 1, 15))
    client = api_client(pilot)
    steps = client.get(url("steps", SLUG), {"page_size": 200}).json()["results"]
    assert {s["is_late"] for s in steps} <= {True, False}
    assert next(s for s in steps if s["id"] == undated.pk)["is_late"] is False
    sheets = client.get(url("sheets", SLUG), {"page_size": 200}).json()["results"]
    assert {s["is_late"] for s in sheets} <= {True, False}
    assert next(s for s in sheets if s["number"] == 1)["is_late"] is True
    late = client.get(url("sheets", SLUG), {"late": "false", "page_size": 200}).json()
    assert late["count"] == len(sheets) - sum(s["is_late"] for s in sheets)


def test_funding_amounts_are_decimal_strings_and_cancelled_payments_marked(coordinator, seeded):
    line = FundingLineFactory(convention=seeded, label="Ligne API")
    amount = FundingAmountFactory(line=line, year=2025, planned="1500.50")
    PaymentFactory(funding_amount=amount, amount="500.00")
    cancelled = PaymentFactory(funding_amount=amount, amount="100.00")
    cancelled.cancelled_at = timezone.now()
    cancelled.cancel_reason = "erreur"
    cancelled.save()
    client = api_client(coordinator)
    body = client.get(url("funding", SLUG), {"year": 2025, "page_size": 200}).json()
    row = next(r for r in body["results"] if r["label"] == "Ligne API")
    assert row["amounts"][0]["planned"] == "1500.50"
    assert row["amounts"][0]["paid"] == "500.00"
    assert [p["is_cancelled"] for p in row["amounts"][0]["payments"]] == [False, True]
    assert all(a["year"] == 2025 for r in body["results"] for a in r["amounts"])
    refused = client.get(url("funding", SLUG), {"year": 2019})
    assert refused.status_code == 400
    assert "year" in refused.json()["errors"]


# --- 400s ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field",
    [
        ({"status": "nope"}, "status"),
        ({"late": "peut-être"}, "late"),
        ({"updated_since": "2025-13-45"}, "updated_since"),
        ({"updated_since": "hier"}, "updated_since"),
        ({"objective": "x"}, "objective"),
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "999"}, "page"),
        ({"page_size": "201"}, "page_size"),
    ],
)
def test_bad_parameters_are_a_french_400(pilot, seeded, params, field):
    response = api_client(pilot).get(url("sheets", SLUG), params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Paramètres de requête invalides."
    assert field in body["errors"]


def test_other_lists_refuse_bad_values(coordinator, seeded):
    client = api_client(coordinator)
    assert client.get(url("conventions"), {"status": "x"}).status_code == 400
    assert client.get(url("conventions"), {"caf": "x"}).status_code == 400
    assert client.get(url("meetings", SLUG), {"kind": "x"}).status_code == 400
    assert client.get(url("meetings", SLUG), {"year": "1999"}).status_code == 400
    assert client.get(url("meetings", SLUG), {"kind": "copil", "year": 2025}).status_code == 200


def test_only_get(pilot, seeded):
    client = api_client(pilot)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(url("sheets", SLUG)).status_code == 405


# --- Tokens ----------------------------------------------------------------------------------


def test_the_token_is_stored_hashed(pilot):
    token, text = tokens.create(pilot, "BI")
    assert text.startswith(f"ctg_{token.prefix}_")
    secret = text.split("_", 2)[2]
    assert len(secret) >= 43
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in token.digest and text not in str(ApiToken.objects.values().get())


def test_missing_wrong_or_revoked_tokens_are_a_401(pilot, seeded, client):
    response = client.get(url("sheets", SLUG))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "jeton" in response.json()["detail"]
    text = bearer(pilot)
    assert api_client(token=text).get(url("sheets", SLUG)).status_code == 200
    assert api_client(token=text + "x").get(url("sheets", SLUG)).status_code == 401
    assert api_client(token="ctg_zz_" + "a" * 43).get(url("sheets", SLUG)).status_code == 401
    wrong_scheme = client.get(url("sheets", SLUG), HTTP_AUTHORIZATION=f"Token {text}")
    assert wrong_scheme.status_code == 401
    # No session either: a logged-in browser without a token is refused.
    client.force_login(pilot)
    assert client.get(url("sheets", SLUG)).status_code == 401
    token = ApiToken.objects.get(user=pilot)
    assert tokens.revoke(pilot, token.pk)
    refused = api_client(token=text).get(url("sheets", SLUG))
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Bearer"


def test_an_inactive_users_token_is_a_401(pilot, seeded):
    text = bearer(pilot)
    pilot.is_active = False
    pilot.save()
    assert api_client(token=text).get(url("sheets", SLUG)).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(pilot, seeded):
    text = bearer(pilot)
    client = api_client(token=text)
    client.get(url("conventions"))
    first = ApiToken.objects.get(user=pilot).last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        client.get(url("conventions"))
    assert not any(q["sql"].startswith("UPDATE") for q in queries)
    assert ApiToken.objects.get(user=pilot).last_used_at == first
    ApiToken.objects.filter(user=pilot).update(last_used_at=first - datetime.timedelta(seconds=61))
    client.get(url("conventions"))
    assert ApiToken.objects.get(user=pilot).last_used_at > first


def test_a_wrong_token_is_never_logged(pilot, seeded, caplog):
    text = bearer(pilot)
    with caplog.at_level(logging.DEBUG):
        api_client(token=text + "x").get(url("sheets", SLUG))
        api_client(token=text).get(url("sheets", SLUG))
    assert caplog.records  # the 401 is logged…
    assert text not in caplog.text and text.split("_", 2)[2] not in caplog.text  # …not the token


def test_the_account_page_creates_shows_once_and_revokes(client, pilot):
    client.force_login(pilot)
    page = client.get(reverse("account:home"))
    assert "Accès à l’API" in page.content.decode() or "API" in page.content.decode()
    submission = page.context["api_token_form"]["submission"].value()
    response = client.post(
        reverse("api_account:create"), {"name": "Tableur", "submission": submission}
    )
    assert response.status_code == 302 and response["Location"].endswith("#api")
    shown = client.get(reverse("account:home"))
    text = shown.context["api_new_token"]
    assert text and text in shown.content.decode()
    assert text not in client.get(reverse("account:home")).content.decode()  # once
    # The same post again (a double click): one token.
    client.post(reverse("api_account:create"), {"name": "Tableur", "submission": submission})
    assert ApiToken.objects.filter(user=pilot).count() == 1
    assert Submission.objects.filter(token=submission).count() == 1
    assert api_client(token=text).get(url("conventions")).status_code == 200
    token = ApiToken.objects.get(user=pilot)
    response = client.post(reverse("api_account:revoke", args=[token.pk]))
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert api_client(token=text).get(url("conventions")).status_code == 401


def test_another_persons_token_cannot_be_revoked(client, pilot, coordinator):
    token, _text = tokens.create(coordinator, "x")
    client.force_login(pilot)
    client.post(reverse("api_account:revoke", args=[token.pk]))
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_at_most_twenty_live_tokens(client, pilot):
    for n in range(ApiToken.MAX_LIVE):
        tokens.create(pilot, f"t{n}")
    client.force_login(pilot)
    response = client.post(
        reverse("api_account:create"), {"name": "encore", "submission": "s" * 32}
    )
    assert response.status_code == 400
    assert "révoquez-en un" in response.content.decode()
    assert ApiToken.objects.filter(user=pilot).count() == ApiToken.MAX_LIVE
    assert tokens.create(pilot, "de trop") is None


# --- Throttling ------------------------------------------------------------------------------


def rates(settings, user, anon):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_user": f"{user}/min", "api_anon": f"{anon}/min"},
    }


def test_tokens_are_throttled_per_user(settings, pilot, seeded):
    rates(settings, 3, 100)
    client = api_client(pilot)
    assert [client.get(url("conventions")).status_code for _ in range(3)] == [200] * 3
    refused = client.get(url("conventions"))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"]
    # Another token of the same person shares the limit.
    assert api_client(pilot).get(url("conventions")).status_code == 429


def test_failed_attempts_are_throttled_per_address(settings, client, seeded):
    rates(settings, 100, 3)
    statuses = [
        client.get(url("conventions"), HTTP_AUTHORIZATION=f"Bearer ctg_ab_{n}").status_code
        for n in range(3)
    ]
    assert statuses == [401] * 3
    assert client.get(url("conventions")).status_code == 429
    cache.clear()


# --- Query counts ----------------------------------------------------------------------------

LISTS = ["objectives", "sheets", "steps", "indicators", "funding", "meetings"]


def complete(convention):
    """Something in every list and prefetch of `convention` (the seed has no meeting, step or
    indicator): an empty list skips queries, which would hide a count that grows."""
    sheet = convention.action_sheets.get(number=1)
    sheet.planned_end = datetime.date(2025, 1, 31)  # late
    sheet.save()
    StepFactory(sheet=sheet)
    IndicatorValueFactory(indicator=IndicatorFactory(sheet=sheet))
    line = FundingLineFactory(convention=convention, label="Ligne des mesures")
    PaymentFactory(funding_amount=FundingAmountFactory(line=line, year=convention.end_year))
    meeting = Meeting.objects.create(convention=convention, title="COPIL", starts_at=timezone.now())
    Decision.objects.create(meeting=meeting, text="Décision").sheets.add(sheet)


def measure(client, slug):
    counts = {}
    for name in ["conventions", *LISTS, "sheet", "convention"]:
        args = [] if name == "conventions" else [slug] + ([1] if name == "sheet" else [])
        address = url(name, *args)
        client.get(address)  # the token's last use is written on a first request
        with CaptureQueriesContext(connection) as queries:
            response = client.get(address, {"late": "true"} if name == "sheets" else {})
        assert response.status_code == 200, (name, response.content[:300])
        counts[name] = len(queries)
    return counts


def test_every_list_reads_a_fixed_number_of_queries(superuser, seeded):
    """At the seed's 16 sheets, then at 16 000 (one generated convention, the national
    dataset's size): the same counts."""
    from operations.management.commands.generate_dataset import generate

    client = api_client(superuser)
    complete(seeded)
    small = measure(client, SLUG)
    started = time.monotonic()
    generate(1, sheets=16000, prefix="api", bilans=False)
    print(f"generate(1, sheets=16000): {time.monotonic() - started:.1f} s")
    big = ActionSheet.objects.exclude(convention=seeded).values("convention__slug").first()
    slug = big["convention__slug"]
    assert ActionSheet.objects.filter(convention__slug=slug).count() == 16000
    complete(Convention.objects.get(slug=slug))
    large = measure(client, slug)
    assert large == small


# --- Concurrency (PostgreSQL) ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@postgres_only
def test_a_double_click_creates_one_token(pilot):

    def post(index, client):
        client.force_login(pilot)
        data = {"name": "Double clic", "submission": "d" * 32}
        return client.post(reverse("api_account:create"), data).status_code

    assert together(4, post) == [302] * 4
    assert ApiToken.objects.filter(user=pilot).count() == 1
    assert Submission.objects.filter(token="d" * 32).count() == 1
