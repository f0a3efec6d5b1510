"""A convention's life: its status computed from the signature, the period and the successor,
on each side of every boundary; an ended convention's plan kept read-only (every editing URL,
the matrix again), its bilans, evaluation, documents and payments left open; nothing late
after the period, the dashboard telling where the sheets stood at its end."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse

from actions.models import ActionSheet
from conventions.models import Convention
from funding.models import FundingLine
from portal.dashboard import build_dashboard

from . import test_action_sheet_permissions as sheet_matrix
from . import test_funding_permissions as funding_matrix
from .factories import ConventionFactory, IndicatorFactory, StepFactory
from .helpers import once

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
SLUG = "thore-montagne-noire-2023-2025"
AFTER_THE_PERIOD = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
STATUS = Convention.Status


def both_rules(convention, today):
    """The status by the model's rule and by the QuerySet's (the overview's filter)."""
    annotated = Convention.objects.with_status(today).get(pk=convention.pk)
    fresh = Convention.objects.get(pk=convention.pk)
    return fresh.status_on(today), annotated.computed_status


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2022, 11, 29), STATUS.DRAFT),  # the day before the signature
        (datetime.date(2022, 11, 30), STATUS.SIGNED),  # signed, the period not begun
        (datetime.date(2022, 12, 31), STATUS.SIGNED),
        (datetime.date(2023, 1, 1), STATUS.IN_FORCE),  # 1 January of the first year
        (datetime.date(2025, 12, 31), STATUS.IN_FORCE),  # 31 December of the last year
        (datetime.date(2026, 1, 1), STATUS.ENDED),
    ],
)
def test_status_from_the_dates(seeded, today, expected):
    assert both_rules(seeded, today) == (expected, expected)


def test_unsigned_convention_stays_in_preparation_whatever_the_date():
    convention = ConventionFactory(signed_on=None)
    for today in (datetime.date(2022, 1, 1), datetime.date(2024, 6, 1), datetime.date(2027, 1, 1)):
        assert both_rules(convention, today) == (STATUS.DRAFT, STATUS.DRAFT)


def test_a_successor_makes_it_renewed_and_the_successor_starts_in_preparation(seeded):
    today = datetime.date(2025, 11, 28)
    assert both_rules(seeded, today) == (STATUS.IN_FORCE, STATUS.IN_FORCE)
    successor = ConventionFactory(
        start_year=2026, end_year=2028, signed_on=None, predecessor=seeded
    )
    assert both_rules(seeded, today) == (STATUS.RENEWED, STATUS.RENEWED)
    assert both_rules(seeded, datetime.date(2026, 6, 1)) == (STATUS.RENEWED, STATUS.RENEWED)
    assert both_rules(successor, today) == (STATUS.DRAFT, STATUS.DRAFT)


def test_an_override_wins_and_needs_a_reason(seeded):
    from django.core.exceptions import ValidationError

    seeded.status_override = STATUS.TERMINATED
    with pytest.raises(ValidationError) as error:
        seeded.full_clean()
    assert "Indiquez le motif du statut fixé à la main." in str(error.value)
    seeded.status_reason = "Résiliée par délibération du 12/05/2024"
    seeded.full_clean()
    seeded.save()
    today = datetime.date(2024, 6, 1)
    assert both_rules(seeded, today) == (STATUS.TERMINATED, STATUS.TERMINATED)


def test_pages_show_the_computed_status(client, coordinator, seeded):
    client.force_login(coordinator)
    assert "en vigueur" in client.get(reverse("portal:dashboard", args=[SLUG])).content.decode()
    assert "en vigueur" in client.get(reverse("portal:home")).content.decode()
    with time_machine.travel(AFTER_THE_PERIOD, tick=False):
        client.force_login(coordinator)  # the session of 2025 has expired by then
        page = client.get(reverse("portal:dashboard", args=[SLUG])).content.decode()
        assert 'id="convention-status">échue<' in page
        assert "échue" in client.get(reverse("portal:home")).content.decode()
        seeded.is_public = True
        seeded.save()
        public = client.get(reverse("portal:public", args=[SLUG])).content.decode()
        assert 'id="convention-status">échue<' in public


def test_overview_filters_by_status(client, superuser, seeded):
    ConventionFactory(title="CTG à venir", start_year=2027, end_year=2029)
    ConventionFactory(title="CTG non signée", signed_on=None)
    url = reverse("portal:overview")
    with time_machine.travel(AFTER_THE_PERIOD, tick=False):
        client.force_login(superuser)
        ended = client.get(url, {"statut": "ended"}).content.decode()
        signed = client.get(url, {"statut": "signed"}).content.decode()
        draft = client.get(url, {"statut": "draft"}).content.decode()
        bad = client.get(url, {"statut": "nope"})
    assert "Thoré Montagne Noire" in ended and "CTG à venir" not in ended
    assert "CTG à venir" in signed and "Thoré Montagne Noire" not in signed
    assert "CTG non signée" in draft and "CTG à venir" not in draft
    assert bad.status_code == 200  # an unknown value is shown invalid and ignored


# --- An ended convention: the plan is read-only, the rest stays open --------------------------

CLOSED_MESSAGE = "Cette convention a pris fin le 31/12/2025"
# The editing URLs of the plan (sheets, steps, indicators, notes; lines and planned amounts).
CLOSED_SHEET_URLS = {"create", "edit", "archive", "note_add", "step_done", "value_add"}
CLOSED_FUNDING_URLS = {"amounts", "import", "import_confirm"}
# What stays open after the period: the payments (the solde is paid after it), and reading.
OPEN_SHEET_URLS = {"list", "export", "detail"}
OPEN_FUNDING_URLS = {
    "table",
    "export_csv",
    "export_xlsx",
    "export_ods",
    "payment",
    "payment_add",
    "payment_correct",
    "payment_cancel",
}


def test_every_url_of_the_plan_is_classified():
    assert set(sheet_matrix.URL_NAMES) == CLOSED_SHEET_URLS | OPEN_SHEET_URLS
    assert set(funding_matrix.URL_NAMES) == CLOSED_FUNDING_URLS | OPEN_FUNDING_URLS


def ended_expectation(persona, url_name, method, expected, closed):
    """The status on an ended convention: as in the period, except that a closed URL answers
    403 to every member but the superuser once the request reaches the view (a GET on a
    post-only address still goes back to the form's page)."""
    if not closed or persona in ("anonymous", "outsider", "superuser"):
        return expected
    if method == "get" and url_name in {"note_add", "step_done", "value_add", "import_confirm"}:
        return expected  # back to the page of the form, which applies its rules
    return 403


def answers(client, cases, names, closed_names):
    """{(url name, method): (status, expected)} for every URL and method, each request in a
    savepoint rolled back after it, so that none sees another's write."""
    found = {}
    for url_name in names:
        url, get_expected, payload, post_expected = cases[url_name]
        for method in ("get", "post"):
            with transaction.atomic():
                data = payload() if (payload and method == "post") else {}
                response = getattr(client, method)(url, data)
                transaction.set_rollback(True)
            expected = (
                get_expected(client.persona) if method == "get" else post_expected(client.persona)
            )
            status = ended_expectation(
                client.persona, url_name, method, expected, url_name in closed_names
            )
            found[url_name, method] = (response.status_code, status)
            if status == 403 and expected != 403:
                assert CLOSED_MESSAGE in response.content.decode(), (url_name, method)
    return found


@pytest.mark.time_machine(AFTER_THE_PERIOD)
@pytest.mark.parametrize("persona", sheet_matrix.PERSONAS)
def test_sheet_urls_of_an_ended_convention(request, client, seeded, persona):
    sheet = seeded.action_sheets.get(number=4)
    step = StepFactory(sheet=sheet)
    indicator = IndicatorFactory(sheet=sheet)
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    client.persona = persona
    cases = sheet_matrix.urls(sheet, step, indicator)
    found = answers(client, cases, sheet_matrix.URL_NAMES, CLOSED_SHEET_URLS)
    assert {k: v for k, v in found.items() if v[0] != v[1]} == {}


@pytest.mark.time_machine(AFTER_THE_PERIOD)
@pytest.mark.parametrize("persona", funding_matrix.PERSONAS)
def test_funding_urls_of_an_ended_convention(request, client, seeded, persona):
    line = FundingLine.objects.get(convention=seeded, label="Passerelle")
    payment = funding_matrix.a_payment(line)
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    client.persona = persona
    cases = funding_matrix.cases(line, payment)
    found = answers(client, cases, funding_matrix.URL_NAMES, CLOSED_FUNDING_URLS)
    assert {k: v for k, v in found.items() if v[0] != v[1]} == {}


@pytest.mark.time_machine(AFTER_THE_PERIOD)
def test_pages_say_why_nothing_can_be_edited(client, coordinator, caf_staff, seeded):
    client.force_login(coordinator)
    sheet_page = client.get(reverse("actions:detail", args=[SLUG, 4])).content.decode()
    client.force_login(caf_staff)
    funding_page = client.get(reverse("funding:table", args=[SLUG])).content.decode()
    assert CLOSED_MESSAGE in sheet_page
    assert reverse("actions:edit", args=[SLUG, 4]) not in sheet_page
    assert CLOSED_MESSAGE in funding_page
    assert reverse("funding:amounts", args=[SLUG]) not in funding_page
    assert 'name="submission"' in funding_page  # the payment form is still there


@pytest.mark.time_machine(AFTER_THE_PERIOD)
def test_reviews_and_evaluation_stay_open(client, coordinator, seeded):
    client.force_login(coordinator)
    if True:
        review = client.get(reverse("bilans:review", args=[SLUG, 2025, 4]))
        evaluation = client.get(reverse("evaluations:edit", args=[SLUG]))
        payment = client.post(
            reverse("funding:payment_add", args=[SLUG]),
            {
                "line": FundingLine.objects.get(convention=seeded, label="Passerelle").pk,
                "year": 2025,
                "amount": "3400",
                "paid_on": "2026-03-02",
                "kind": "balance",
                "submission": once(),
            },
        )
    assert review.status_code == 200 and 'name="achievements"' in review.content.decode()
    assert evaluation.status_code == 200
    assert payment.status_code == 302


def test_nothing_is_late_after_the_period(seeded):
    ActionSheet.objects.filter(convention=seeded, number=4).update(
        status="in_progress", progress=40, planned_end=datetime.date(2024, 6, 30)
    )
    StepFactory(sheet=seeded.action_sheets.get(number=5), due_on=datetime.date(2025, 3, 1))
    within = datetime.date(2025, 11, 28)
    after = datetime.date(2026, 3, 2)
    late_within = set(
        ActionSheet.objects.overdue(within)
        .filter(convention=seeded)
        .values_list("number", flat=True)
    )
    assert {4, 5} <= late_within
    assert not ActionSheet.objects.overdue(after).filter(convention=seeded).exists()
    dashboard = build_dashboard(seeded, today=after)
    assert dashboard.period_over and dashboard.late_sheets == []
    groups = {group.key: group for group in dashboard.end_standing}
    assert sum(len(group.sheets) for group in groups.values()) == 16
    assert 4 in [s.number for s in groups["in_progress"].sheets]
    counts = {
        key: ActionSheet.objects.filter(convention=seeded, status__in=groups[key].statuses).count()
        for key in groups
    }
    assert {key: len(group.sheets) for key, group in groups.items()} == counts


@pytest.mark.time_machine(AFTER_THE_PERIOD)
def test_dashboard_after_the_period_shows_where_the_sheets_stood(client, coordinator, seeded):
    ActionSheet.objects.filter(convention=seeded, number=4).update(
        status="in_progress", progress=40
    )
    client.force_login(coordinator)
    if True:
        page = client.get(reverse("portal:dashboard", args=[SLUG])).content.decode()
    assert "Où en étaient les fiches au 31/12/2025" in page
    assert 'id="figure-late"' not in page and 'id="figure-done"' in page
    assert "Late or blocked" not in page and "En retard ou bloquées" not in page
    assert "40&nbsp;%" in page
    assert reverse("renewals:renew", args=[SLUG]) in page  # the next step, for a coordinator


@pytest.mark.time_machine(AFTER_THE_PERIOD)
def test_a_decision_no_longer_changes_the_sheets_of_an_ended_convention(
    client, coordinator, seeded
):
    from committees.models import Decision

    from .test_committees import decision_payload, make_meeting, meeting_url

    meeting = make_meeting(seeded)
    sheet = seeded.action_sheets.get(number=5)
    client.force_login(coordinator)
    changing = decision_payload(seeded, sheets=[sheet.pk], new_status="blocked")
    response = client.post(meeting_url("decision_add", meeting), changing)
    assert response.status_code == 400
    assert "une décision ne modifie plus ses fiches" in response.content.decode()
    assert not Decision.objects.exists()
    plain = decision_payload(seeded, sheets=[sheet.pk])
    assert client.post(meeting_url("decision_add", meeting), plain).status_code == 302
    sheet.refresh_from_db()
    assert sheet.status != "blocked" and Decision.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        f"/conventions/{SLUG}/fiches/",
        f"/conventions/{SLUG}/fiches/4/",
        f"/conventions/{SLUG}/financements/",
        f"/conventions/{SLUG}/instances/",
        f"/conventions/{SLUG}/bilans/",
        f"/conventions/{SLUG}/evaluation/",
        f"/conventions/{SLUG}/documents/",
        f"/conventions/{SLUG}/membres/",
    ],
)
@pytest.mark.time_machine(AFTER_THE_PERIOD)
def test_every_page_of_the_convention_tells_its_status(client, coordinator, seeded, url):
    client.force_login(coordinator)
    page = client.get(url).content.decode()
    assert '<span class="convention-status">échue</span>' in page


def test_renewal_is_offered_from_the_last_year_to_those_who_may_renew(
    client, coordinator, pilot, caf_manager, seeded
):
    link = reverse("renewals:renew", args=[SLUG])
    dashboard = reverse("portal:dashboard", args=[SLUG])
    client.force_login(coordinator)
    assert link in client.get(dashboard).content.decode()  # 2025: the last year
    with time_machine.travel(datetime.datetime(2024, 6, 1, 10, tzinfo=PARIS), tick=False):
        client.force_login(coordinator)
        assert link not in client.get(dashboard).content.decode()
    client.force_login(caf_manager)
    assert link in client.get(dashboard).content.decode()
    client.force_login(pilot)
    assert link not in client.get(dashboard).content.decode()
    ConventionFactory(start_year=2026, end_year=2028, signed_on=None, predecessor=seeded)
    client.force_login(coordinator)
    page = client.get(dashboard).content.decode()
    assert link not in page and "Renouvelée par" in page


def test_sheet_pages_link_a_carried_sheet_and_its_predecessor(client, superuser, seeded):
    from .factories import ActionSheetFactory

    successor = ConventionFactory(
        slug="thore-2026-2028",
        title="CTG Thoré 2026–2028",
        start_year=2026,
        end_year=2028,
        signed_on=None,
        predecessor=seeded,
    )
    old = seeded.action_sheets.get(number=4)
    new = ActionSheetFactory(convention=successor, number=2, predecessor=old)
    client.force_login(superuser)
    old_page = client.get(reverse("actions:detail", args=[SLUG, 4])).content.decode()
    new_page = client.get(reverse("actions:detail", args=[successor.slug, 2])).content.decode()
    assert "Prolongée par la fiche 2 de « CTG Thoré 2026–2028 »" in old_page
    assert reverse("actions:detail", args=[successor.slug, 2]) in old_page
    assert f"Prolonge la fiche 4 de « {seeded.title} »" in new_page
    assert reverse("actions:detail", args=[SLUG, 4]) in new_page
    assert new.predecessor == old and old.next_sheet == new
    dashboard = client.get(reverse("portal:dashboard", args=[successor.slug])).content.decode()
    assert "Succède à" in dashboard and reverse("portal:dashboard", args=[SLUG]) in dashboard


@pytest.mark.time_machine(AFTER_THE_PERIOD)
def test_members_page_keeps_the_pilots_of_an_ended_convention(client, coordinator, pilot, seeded):
    from conventions.models import Membership

    from .test_members import change

    client.force_login(coordinator)
    before = {
        s.number: (s.version, s.history.count()) for s in seeded.action_sheets.filter(pilots=pilot)
    }
    page = client.get(reverse("portal:member", args=[SLUG, pilot.pk])).content.decode()
    assert "ses fiches gardent leurs pilotes" in page
    response = change(client, pilot, Membership.Role.ELECTED, [5, 6])
    assert response.status_code == 302  # the role changes, the sheets do not
    assert Membership.objects.get(convention=seeded, user=pilot).role == "elected"
    after = {
        s.number: (s.version, s.history.count()) for s in seeded.action_sheets.filter(pilots=pilot)
    }
    assert after == before and before
    response = client.post(reverse("portal:member_remove", args=[SLUG]), {"member": pilot.pk})
    assert response.status_code == 302
    assert set(seeded.action_sheets.filter(pilots=pilot).values_list("number", flat=True)) == set(
        before
    )


def test_the_public_page_names_no_unpublished_successor(client, seeded):
    seeded.is_public = True
    seeded.save()
    successor = ConventionFactory(
        title="CTG 2026–2028 en préparation", start_year=2026, end_year=2028, predecessor=seeded
    )
    page = client.get(reverse("portal:public", args=[SLUG])).content.decode()
    assert "Renouvelée par une convention en préparation" in page
    assert successor.title not in page
    Convention.objects.filter(pk=successor.pk).update(is_public=True)
    page = client.get(reverse("portal:public", args=[SLUG])).content.decode()
    assert f"Renouvelée par {successor.title}" in page
