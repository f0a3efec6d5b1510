"""The elected officials' dashboard, the public page and the CAF overview."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conventions.models import Membership, Partner
from operations.management.commands.generate_dataset import generate
from portal.dashboard import build_dashboard

from .factories import (
    ConventionFactory,
    FundingAmountFactory,
    FundingLineFactory,
    MembershipFactory,
    ProgressNoteFactory,
    StepFactory,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# Date-dependent: "today" is frozen (a day inside the seed's period, 2023–2025).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS), tick=False),
]

SLUG = "thore-montagne-noire-2023-2025"
DASHBOARD = reverse("portal:dashboard", args=[SLUG])
PUBLIC = reverse("portal:public", args=[SLUG])
OVERVIEW = reverse("portal:overview")
NBSP = "\u00a0"


def text(response):
    return response.content.decode().replace("&nbsp;", NBSP)


def test_seed_dashboard_figures(client, elected, seeded):
    client.force_login(elected)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert dashboard.sheet_count == 16
    assert len(dashboard.objectives) == 7
    assert len(dashboard.tree) == 6  # the 6 enjeux
    assert {v: n for v, _label, n in dashboard.status_counts}["todo"] == 16
    assert dashboard.average_progress == 0
    assert dashboard.late_sheets == []
    assert dashboard.year == seeded.current_year(timezone.localdate())
    assert dashboard.caf_total == Decimal("725403")
    html = text(response)
    assert 'id="figure-sheets">16<' in html
    assert f"725{NBSP}403{NBSP}€" in html
    assert [len(g.sheets) for g in dashboard.by_objective] == [7, 1, 1, 1, 4, 1, 1]
    # Every yearly total of the period, CAF and in all.
    assert [(y, caf, total) for y, caf, _loc, total in dashboard.per_year] == [
        (2023, Decimal("241801"), Decimal("241801")),
        (2024, Decimal("241801"), Decimal("241801")),
        (2025, Decimal("241801"), Decimal("241801")),
    ]


def test_current_year_is_clamped_to_the_period(seeded):
    assert seeded.current_year(datetime.date(2026, 11, 27)) == 2025
    assert seeded.current_year(datetime.date(2024, 5, 1)) == 2024
    assert seeded.current_year(datetime.date(2021, 1, 1)) == 2023
    later = build_dashboard(seeded, today=datetime.date(2026, 11, 27))
    assert later.year == 2025 and later.period_over
    assert later.caf_this_year == Decimal("241801")
    assert build_dashboard(seeded, today=datetime.date(2024, 5, 1)).year == 2024


@pytest.mark.time_machine(datetime.datetime(2026, 11, 27, 10, 0, tzinfo=PARIS), tick=False)
def test_dashboard_after_the_period_shows_its_last_year(client, elected, seeded):
    dashboard = build_dashboard(seeded, today=datetime.date(2025, 3, 1))
    assert dashboard.caf_this_year == Decimal("241801")
    assert not dashboard.period_over
    client.force_login(elected)
    html = text(client.get(DASHBOARD))
    assert f"241{NBSP}801{NBSP}€" in html
    assert "La période de la convention s’est achevée en 2025" in html


def test_dashboard_within_the_period_says_nothing_of_its_end(client, elected, seeded):
    client.force_login(elected)
    html = text(client.get(DASHBOARD))
    assert "La période de la convention s’est achevée" not in html
    assert 'id="figure-caf-year">241' in html


def test_figures_follow_edits(client, elected, seeded):
    today = timezone.localdate()
    sheets = {s.number: s for s in seeded.action_sheets.all()}
    sheets[4].status, sheets[4].progress = "in_progress", 30
    sheets[4].save()
    sheets[8].status = "done"
    sheets[8].save()  # progress brought to 100
    sheets[9].planned_end = today - datetime.timedelta(days=1)
    sheets[9].save()  # late
    sheets[16].archived_at = timezone.now()
    sheets[16].save()  # leaves the dashboard
    StepFactory(sheet=sheets[2], title="Réunion RPE", due_on=today + datetime.timedelta(days=10))
    amount = seeded.funding_lines.get(label="Passerelle").amounts.get(year=2025)
    amount.planned = Decimal("36000")
    amount.save()
    commune = Partner.objects.get(insee_code="81005")
    local = FundingLineFactory(
        convention=seeded, label="Part communale Albine", funder=commune, category="local"
    )
    FundingAmountFactory(line=local, year=2025, planned=Decimal("5000"))

    dashboard = build_dashboard(seeded, today=datetime.date(2025, 6, 1))
    assert dashboard.sheet_count == 15
    counts = {v: n for v, _label, n in dashboard.status_counts}
    assert (counts["todo"], counts["in_progress"], counts["done"]) == (13, 1, 1)
    assert dashboard.average_progress == round((30 + 100) / 15)
    assert dashboard.caf_this_year == Decimal("243801")
    assert dashboard.caf_total == Decimal("727403")
    assert dashboard.funding.local.total == Decimal("5000")
    assert dashboard.per_year[2][3] == Decimal("248801")

    client.force_login(elected)
    response = client.get(DASHBOARD)
    live = response.context["dashboard"]
    assert [s.number for s in live.late_sheets] == [9]
    assert [s.title for s in live.upcoming_steps] == ["Réunion RPE"]
    html = text(response)
    assert "Réunion RPE" in html
    assert f"727{NBSP}403{NBSP}€" in html
    assert f"5{NBSP}000{NBSP}€" in html


def test_objective_bars_link_to_the_filtered_list(client, elected, seeded):
    client.force_login(elected)
    html = text(client.get(DASHBOARD))
    objective = seeded.objectives.get(number=5)
    href = f"{reverse('actions:list', args=[SLUG])}?objectif={objective.pk}"
    assert f'<a href="{href}" aria-label="Objectif 5' in html
    domain = seeded.domains.get(name="Enfance")
    assert f"?domaine={domain.pk}" in html
    assert "<svg" in html and "<title" in html
    assert 'id="objective-table"' in html  # the same figures as a table


def test_demo_banner(client, elected, seeded, capsys):
    from django.core.management import call_command

    client.force_login(elected)
    assert "Données de démonstration" not in text(client.get(DASHBOARD))
    call_command("seed_demo", "--force")
    seeded.refresh_from_db()
    assert seeded.has_demo_data
    for url in (
        DASHBOARD,
        reverse("actions:list", args=[SLUG]),
        reverse("portal:home"),
        OVERVIEW,
        reverse("funding:table", args=[SLUG]),
        reverse("actions:detail", args=[SLUG, 4]),
    ):
        assert "Données de démonstration" in text(client.get(url)), url
    dashboard = build_dashboard(seeded, today=datetime.date(2025, 12, 31))
    assert dashboard.average_progress > 0
    assert all(
        datetime.date(2023, 1, 1) <= n.written_on <= datetime.date(2025, 12, 31)
        for n in seeded.action_sheets.first().notes.all()
    )


def test_public_page_follows_the_flag(client, seeded):
    assert client.get(PUBLIC).status_code == 404
    seeded.is_public = True
    seeded.save()
    response = client.get(PUBLIC)
    assert response.status_code == 200
    assert f"725{NBSP}403{NBSP}€" in text(response)


def test_public_page_shows_no_personal_data(client, seeded, coordinator, pilot):
    coordinator.first_name, coordinator.last_name = "Camille", "Martin"
    coordinator.save()
    seeded.is_public = True
    seeded.save()
    sheet = seeded.action_sheets.get(number=4)
    ProgressNoteFactory(sheet=sheet, author=coordinator, text="Note interne sensible")
    ProgressNoteFactory(sheet=sheet, author=coordinator, text="Note publiable", is_public=True)
    html = text(client.get(PUBLIC))
    assert "Note publiable" in html
    assert "Note interne sensible" not in html
    for name in ("Camille", "Martin", pilot.get_full_name(), "Se déconnecter"):
        assert name not in html
    assert reverse("actions:list", args=[SLUG]) not in html  # no links into the members' area


def test_overview_for_a_member_of_several_conventions(client, seeded):
    user = MembershipFactory(convention=seeded, role=Membership.Role.CAF_STAFF).user
    other = ConventionFactory(title="CTG de la Montagne", start_year=2024, end_year=2027)
    MembershipFactory(user=user, convention=other, role=Membership.Role.CAF_STAFF)
    line = FundingLineFactory(convention=other)
    FundingAmountFactory(line=line, year=2024, planned=Decimal("1000"))
    FundingAmountFactory(line=line, year=2027, planned=Decimal("2500"))
    ConventionFactory(title="CTG étrangère")  # not a member: not listed
    client.force_login(user)
    response = client.get(OVERVIEW)
    rows = response.context["figures"]["rows"]
    # The seed convention's CAF (CAF du Tarn) first, the conventions without a CAF last.
    assert [c.title for c, _f in rows] == [seeded.title, "CTG de la Montagne"]
    seed_figures = rows[0][1]
    assert seed_figures.sheet_count == 16
    assert seed_figures.caf_total == Decimal("725403")
    totals = response.context["figures"]["totals"]
    assert totals.sheet_count == 16
    assert totals.caf_total == Decimal("728903")
    assert {y: c for y, c, _l in totals.per_year}[2024] == Decimal("242801")
    html = text(response)
    assert "CTG étrangère" not in html
    assert f"728{NBSP}903{NBSP}€" in html


def test_query_counts_do_not_grow_with_300_conventions(client, seeded, elected, superuser):
    seeded.is_public = True
    seeded.save()
    client.force_login(elected)
    with CaptureQueriesContext(connection) as small_dashboard:
        client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as small_public:
        client.get(PUBLIC)
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as small_overview:
        client.get(OVERVIEW)

    generate(300, seed=7, prefix="t")
    # The seed convention grows too: many more sheets, notes and steps.
    objective = seeded.objectives.first()
    for number in range(100, 140):
        from .factories import ActionSheetFactory

        sheet = ActionSheetFactory(convention=seeded, objective=objective, number=number)
        sheet.domains.add(seeded.domains.first())
        StepFactory(sheet=sheet, due_on=timezone.localdate() + datetime.timedelta(days=5))
        ProgressNoteFactory(sheet=sheet, is_public=True)

    client.force_login(elected)
    with CaptureQueriesContext(connection) as large_dashboard:
        response = client.get(DASHBOARD)
    assert response.context["dashboard"].sheet_count == 56
    with CaptureQueriesContext(connection) as large_public:
        client.get(PUBLIC)
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as large_overview:
        response = client.get(OVERVIEW)
    assert response.context["page"].paginator.count == 301
    assert response.context["figures"]["totals"].sheet_count > 4000

    for small, large in [
        (small_dashboard, large_dashboard),
        (small_public, large_public),
        (small_overview, large_overview),
    ]:
        # The dashboard reads 3 queries for the committees (next meeting, open decisions, their
        # counts), the public page 4 (meetings upcoming and past, their decisions, documents).
        assert len(large) == len(small) <= 15, [q["sql"][:100] for q in large.captured_queries]


@pytest.mark.parametrize(
    ("persona", "dashboard", "overview"),
    [
        ("coordinator", 200, 200),
        ("pilot", 200, 200),
        ("elected", 200, 200),
        ("caf_staff", 200, 200),
        ("outsider", 404, 200),
        ("superuser", 200, 200),
        ("anonymous", 302, 302),
    ],
)
def test_permission_matrix(request, client, seeded, persona, dashboard, overview):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    assert client.get(DASHBOARD).status_code == dashboard
    assert client.get(OVERVIEW).status_code == overview
    expected_post = 302 if persona == "anonymous" else 405
    assert client.post(DASHBOARD).status_code == expected_post
    # The public page ignores who asks: the flag decides.
    assert client.get(PUBLIC).status_code == 404
    seeded.is_public = True
    seeded.save()
    assert client.get(PUBLIC).status_code == 200
    assert client.post(PUBLIC).status_code == 405


def test_outsider_overview_lists_only_their_conventions(client, seeded, outsider):
    client.force_login(outsider)
    rows = client.get(OVERVIEW).context["figures"]["rows"]
    assert [c.slug for c, _f in rows] == ["autre-ctg"]


def test_first_screen_shows_what_is_late_or_blocked(client, elected, seeded):
    today = timezone.localdate()
    sheets = {s.number: s for s in seeded.action_sheets.all()}
    sheets[2].planned_end = today - datetime.timedelta(days=1)
    sheets[2].save()  # late
    sheets[11].status = "blocked"
    sheets[11].save()
    StepFactory(
        sheet=sheets[3], title="Comité technique", due_on=today + datetime.timedelta(days=40)
    )
    client.force_login(elected)
    response = client.get(DASHBOARD)
    dashboard = response.context["dashboard"]
    assert [s.number for s in dashboard.late_or_blocked] == [11, 2]  # the blocked first
    html = text(response)
    attention = html.split('id="attention-title"')[1].split("</section>")[0]
    assert attention.index("11. ") < attention.index("2. ")
    assert "?retard=on" in attention and "?statut=blocked" in attention
    # The sheets' table: status, progress and the next step of each.
    assert dashboard.sheets[2].next_step_title == "Comité technique"
    assert "Comité technique" in html.split('id="sheets-table"')[1]
    # The tables that repeat a chart are folded under it.
    for table in ("objective-table", "domain-table", "funding-lines-table", "funding-years-table"):
        before = html.split(f'id="{table}"')[0]
        assert before.rfind("<details") > before.rfind("</details>"), table
