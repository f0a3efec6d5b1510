"""CAF-wide access: members of a CAF (staff, managers) across every page family, the overview
grouped and filtered by CAF and département, the seed convention's CAF, the demo account, the
dataset generator's CAFs and the backup of a convention's CAF.

Personas (tests/conftest.py): `caf_level_staff` and `caf_manager` hold a CafMembership at the
seed convention's CAF (the CAF du Tarn) and no membership of any convention;
`other_caf_staff` (here) is staff at another CAF: a stranger to the seed convention.
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from actions.models import ActionSheet
from conventions.models import CafMembership, Convention, Membership, Partner
from funding.models import FundingAmount, FundingLine, Payment
from operations import seed
from operations.backup import delete_convention, export_convention, import_convention
from operations.management.commands.generate_dataset import generate

from . import test_action_sheet_permissions as sheet_matrix
from . import test_funding_permissions as funding_matrix
from .factories import (
    ActionSheetFactory,
    CafFactory,
    ConventionFactory,
    FundingAmountFactory,
    FundingLineFactory,
    IndicatorFactory,
    MembershipFactory,
    StepFactory,
    UserFactory,
)
from .helpers import expected_status, not_served, once, sheet_edit_payload

pytestmark = pytest.mark.django_db

SLUG = seed.SLUG
OVERVIEW = reverse("portal:overview")
NBSP = "\u00a0"

# The personas of this module; each answers as a persona of the other matrices does:
# {persona: (as whom on the sheets' and portal's pages, as whom on the funding pages)}.
AS = {
    "caf_level_staff": ("elected", "elected"),  # reads everything, writes nothing
    "caf_manager": ("elected", "caf_staff"),  # reads everything, manages the funding
    "other_caf_staff": ("outsider", "outsider"),  # another CAF: the convention is not found
}
PERSONAS = sorted(AS)

# The convention's pages of portal/ (test_url_matrix.CORE's rows, for the personas above).
READ = {"anonymous": 302, "outsider": 404}


def portal_cases():
    def reader(ok):
        return lambda persona: READ.get(persona, ok)

    def coordinators(ok):
        return lambda persona: expected_status(persona, {"coordinator"}, ok)

    return {
        "dashboard": (reverse("portal:dashboard", args=[SLUG]), reader(200), None, not_served),
        "dashboard_printout": (
            reverse("portal:dashboard_printout", args=[SLUG]),
            reader(200),
            None,
            not_served,
        ),
        "dashboard_pdf": (
            reverse("portal:dashboard_pdf", args=[SLUG]),
            reader(200),
            None,
            not_served,
        ),
        "sheet_printout": (
            reverse("portal:sheet_printout", args=[SLUG, 4]),
            reader(200),
            None,
            not_served,
        ),
        "sheet_pdf": (reverse("portal:sheet_pdf", args=[SLUG, 4]), reader(200), None, not_served),
        "publication": (
            reverse("portal:publication", args=[SLUG]),
            coordinators(200),
            lambda: {"action": "publish"},
            coordinators(302),
        ),
        "overview": (OVERVIEW, lambda p: 200, None, not_served),
        "home": (reverse("portal:home"), lambda p: 200, None, not_served),
    }


PORTAL_NAMES = [
    "dashboard",
    "dashboard_printout",
    "dashboard_pdf",
    "sheet_printout",
    "sheet_pdf",
    "publication",
    "overview",
    "home",
]
CASES = (
    [("actions", name) for name in sheet_matrix.URL_NAMES]
    + [("funding", name) for name in funding_matrix.URL_NAMES]
    + [("portal", name) for name in PORTAL_NAMES]
)
# The URLs this module's matrix covers (the funding exports are one URL, three formats).
URL_NAMES = {f"{app}:{re.sub(r'^export_.*', 'export', name)}" for app, name in CASES}


@pytest.fixture
def other_caf_staff(db):
    user = UserFactory(username="agent-autre-caf")
    CafMembership.objects.create(user=user, caf=CafFactory(), role=CafMembership.Role.STAFF)
    return user


def test_matrix_covers_every_url_of_the_convention_pages():
    from actions.urls import urlpatterns as sheet_urls
    from funding.urls import urlpatterns as funding_urls

    assert {f"actions:{p.name}" for p in sheet_urls} <= URL_NAMES
    assert {f"funding:{p.name}" for p in funding_urls} <= URL_NAMES
    assert {"portal:dashboard", "portal:overview", "portal:publication"} <= URL_NAMES


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("app", "url_name"), CASES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, seeded, persona, app, url_name, method):
    """Every page of a convention, for CAF-level members: as the persona of the other
    matrices they stand for (AS), and what a refused post would write is not written."""
    sheet = seeded.action_sheets.get(number=4)
    step, indicator = StepFactory(sheet=sheet), IndicatorFactory(sheet=sheet)
    line = FundingLine.objects.get(convention=seeded, label="Passerelle")
    payment = funding_matrix.a_payment(line)
    if app == "actions":
        cases, like = sheet_matrix.urls(sheet, step, indicator), AS[persona][0]
    elif app == "funding":
        cases, like = funding_matrix.cases(line, payment), AS[persona][1]
    else:
        cases, like = portal_cases(), AS[persona][0]
    url, get_expected, payload, post_expected = cases[url_name]
    client.force_login(request.getfixturevalue(persona))
    version = sheet.version
    if method == "get":
        response = client.get(url)
        status = get_expected(like)
    else:
        response = client.post(url, payload() if payload else {})
        status = post_expected(like)
    assert response.status_code == status, (persona, app, url_name, method)

    manages_funding = persona == "caf_manager"
    written = method == "post" and status in (200, 302)
    if app == "funding" and url_name == "payment_add" and method == "post":
        assert Payment.objects.count() == (2 if manages_funding else 1)
    payment.refresh_from_db()
    assert payment.is_cancelled == (written and url_name == "payment_cancel")
    assert (payment.amount == Decimal("500")) == (written and url_name == "payment_correct")
    sheet.refresh_from_db()
    assert sheet.version == version  # no sheet is written by a CAF-level member
    assert not sheet.notes.exists()
    seeded.refresh_from_db()
    assert not seeded.is_public


def test_a_caf_manager_records_a_payment_and_edits_amounts(client, seeded, caf_manager):
    client.force_login(caf_manager)
    line = FundingLine.objects.get(convention=seeded, label="Passerelle")
    response = client.post(
        reverse("funding:payment_add", args=[SLUG]),
        {
            "line": line.pk,
            "year": 2024,
            "amount": "1 200,50",
            "paid_on": "2024-03-15",
            "kind": "advance",
            "submission": once(),
        },
    )
    assert response.status_code == 302
    payment = Payment.objects.get(funding_amount__line=line)
    assert payment.amount == Decimal("1200.50")
    assert payment.funding_amount.year == 2024
    html = client.get(reverse("funding:table", args=[SLUG])).content.decode()
    assert reverse("funding:amounts", args=[SLUG]) in html
    assert reverse("funding:import", args=[SLUG]) in html
    assert 'id="payment-form"' in html


def test_caf_level_members_see_no_edit_buttons(client, seeded, caf_level_staff, caf_manager):
    client.force_login(caf_level_staff)
    html = client.get(reverse("funding:table", args=[SLUG])).content.decode()
    assert reverse("funding:amounts", args=[SLUG]) not in html
    assert reverse("funding:import", args=[SLUG]) not in html
    assert 'id="payment-form"' not in html
    assert reverse("funding:export", args=[SLUG, "xlsx"]) in html
    for user in (caf_level_staff, caf_manager):
        client.force_login(user)
        html = client.get(reverse("actions:detail", args=[SLUG, 4])).content.decode()
        assert reverse("actions:edit", args=[SLUG, 4]) not in html
        assert reverse("actions:note_add", args=[SLUG, 4]) not in html
        html = client.get(reverse("actions:list", args=[SLUG])).content.decode()
        assert reverse("actions:create", args=[SLUG]) not in html
        html = client.get(reverse("portal:dashboard", args=[SLUG])).content.decode()
        assert reverse("portal:publication", args=[SLUG]) not in html


def test_a_caf_manager_cannot_edit_a_sheet(client, seeded, caf_manager):
    sheet = seeded.action_sheets.get(number=4)
    client.force_login(caf_manager)
    url = reverse("actions:edit", args=[SLUG, 4])
    assert client.get(url).status_code == 403
    assert client.post(url, sheet_edit_payload(sheet, progress=80)).status_code == 403
    sheet.refresh_from_db()
    assert sheet.progress == 0
    assert sheet.history.count() == 1


@pytest.fixture
def foreign(db):
    """A convention of another CAF, with a sheet and a funding line."""
    convention = ConventionFactory(slug="ctg-aude", caf=CafFactory(name="CAF de l’Aude"))
    ActionSheetFactory(convention=convention, number=1)
    FundingLineFactory(convention=convention)
    return convention


FOREIGN_URLS = [
    ("portal:dashboard", []),
    ("portal:dashboard_printout", []),
    ("portal:dashboard_pdf", []),
    ("portal:sheet_printout", [1]),
    ("portal:sheet_pdf", [1]),
    ("actions:list", []),
    ("actions:detail", [1]),
    ("actions:edit", [1]),
    ("funding:table", []),
    ("funding:amounts", []),
    ("funding:import", []),
    ("funding:payment_add", []),
    ("funding:export", ["xlsx"]),
    ("actions:export", ["csv"]),
]


@pytest.mark.parametrize(("name", "args"), FOREIGN_URLS)
@pytest.mark.parametrize("persona", ["caf_level_staff", "caf_manager"])
def test_a_convention_of_another_caf_is_not_found(
    request, client, seeded, foreign, persona, name, args
):
    client.force_login(request.getfixturevalue(persona))
    url = reverse(name, args=[foreign.slug, *args])
    # A form's address answers a GET by going back to its page (which then answers 404).
    assert client.get(url).status_code == (302 if name == "funding:payment_add" else 404)
    if name in {"funding:amounts", "funding:import", "funding:payment_add", "actions:edit"}:
        assert client.post(url, {}).status_code == 404


def test_caf_level_members_read_every_convention_of_their_caf(
    client, seeded, caf_level_staff, foreign
):
    """A second convention of the CAF du Tarn is read at once, without a membership; exports
    are those of the convention asked for."""
    second = ConventionFactory(slug="ctg-tarn-2", title="CTG du Tarn Sud", caf=seeded.caf)
    ActionSheetFactory(convention=second, number=1, title="Fiche du Tarn Sud")
    client.force_login(caf_level_staff)
    for slug in (SLUG, second.slug):
        assert client.get(reverse("portal:dashboard", args=[slug])).status_code == 200
        response = client.get(reverse("actions:export", args=[slug, "csv"]))
        assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert "Fiche du Tarn Sud" in content.decode("utf-8-sig")
    html = client.get(reverse("actions:detail", args=[second.slug, 1])).content.decode()
    assert "Fiche du Tarn Sud" in html
    # Losing the CAF membership closes every convention of the CAF at once.
    CafMembership.objects.filter(user=caf_level_staff).delete()
    assert client.get(reverse("portal:dashboard", args=[second.slug])).status_code == 404


def test_home_lists_the_conventions_of_the_users_caf(client, seeded, caf_level_staff, foreign):
    second = ConventionFactory(slug="ctg-tarn-2", title="CTG du Tarn Sud", caf=seeded.caf)
    client.force_login(caf_level_staff)
    response = client.get(reverse("portal:home"))
    assert {c.slug for c in response.context["conventions"]} == {second.slug, SLUG}
    html = response.content.decode()
    assert f'id="convention-{SLUG}"' in html
    assert foreign.title not in html
    assert "celles de votre CAF" in html


# The overview ---------------------------------------------------------------------------------


@pytest.fixture
def cafs(seeded):
    """Beside the seed convention (CAF du Tarn, 81): two conventions of the CAF de l’Aude (11),
    one of them with funding, and a convention without a CAF."""
    aude = CafFactory(name="CAF de l’Aude")
    carcassonne = ConventionFactory(
        slug="ctg-carcassonne", title="CTG de Carcassonne", caf=aude, department="11"
    )
    ConventionFactory(slug="ctg-limoux", title="CTG de Limoux", caf=aude, department="11")
    line = FundingLineFactory(convention=carcassonne)
    FundingAmountFactory(line=line, year=2024, planned=Decimal("1000"))
    ConventionFactory(slug="ctg-sans-caf", title="CTG sans CAF")
    return aude


def groups_of(response):
    return [
        (group.caf.name if group.caf else None, group.count, [c.slug for c, _f in group.rows])
        for group in response.context["figures"]["groups"]
    ]


def test_overview_groups_by_caf_with_subtotals(client, seeded, cafs, superuser):
    client.force_login(superuser)
    response = client.get(OVERVIEW)
    assert groups_of(response) == [
        ("CAF de l’Aude", 2, ["ctg-carcassonne", "ctg-limoux"]),
        ("CAF du Tarn", 1, [SLUG]),
        (None, 1, ["ctg-sans-caf"]),
    ]
    groups = response.context["figures"]["groups"]
    assert groups[0].figures.caf_total == Decimal("1000")
    assert groups[1].figures.caf_total == Decimal("725403")
    assert groups[1].figures.sheet_count == 16
    totals = response.context["figures"]["totals"]
    assert totals.caf_total == Decimal("726403")
    assert totals.sheet_count == sum(g.figures.sheet_count for g in groups)
    html = response.content.decode().replace(NBSP, " ")
    assert html.index("CAF de l’Aude") < html.index("CTG de Carcassonne")
    assert html.index("CAF du Tarn") < html.index("Thoré Montagne Noire")
    assert html.index("Sans CAF") < html.index("CTG sans CAF")
    assert '<th scope="rowgroup"' in html
    assert "726 403 €" in html and "1 000 €" in html


def test_caf_staff_see_only_their_cafs_conventions(client, seeded, cafs, caf_level_staff):
    client.force_login(caf_level_staff)
    response = client.get(OVERVIEW)
    assert groups_of(response) == [("CAF du Tarn", 1, [SLUG])]
    assert response.context["count"] == 1
    html = response.content.decode()
    assert "Carcassonne" not in html and "CTG sans CAF" not in html
    # The options are theirs only: their CAF, its départements.
    filters = response.context["filters"]
    assert [label for _v, label in filters.fields["caf"].choices] == [
        "Toutes les CAF",
        "CAF du Tarn",
    ]
    assert [value for value, _l in filters.fields["departement"].choices] == ["", "81"]
    # A membership of a convention elsewhere adds it, in its own group.
    MembershipFactory(
        user=caf_level_staff,
        convention=Convention.objects.get(slug="ctg-limoux"),
        role=Membership.Role.ELECTED,
    )
    response = client.get(OVERVIEW)
    assert groups_of(response) == [("CAF de l’Aude", 1, ["ctg-limoux"]), ("CAF du Tarn", 1, [SLUG])]


def test_overview_filters_by_caf_and_department(client, seeded, cafs, superuser):
    client.force_login(superuser)
    response = client.get(OVERVIEW, {"caf": cafs.pk})
    assert groups_of(response) == [("CAF de l’Aude", 2, ["ctg-carcassonne", "ctg-limoux"])]
    assert response.context["figures"]["totals"].caf_total == Decimal("1000")
    response = client.get(OVERVIEW, {"departement": "81"})
    assert groups_of(response) == [("CAF du Tarn", 1, [SLUG])]
    response = client.get(OVERVIEW, {"caf": seeded.caf_id, "departement": "11"})
    assert groups_of(response) == []
    assert "Aucune convention ne correspond à ces filtres." in response.content.decode()
    html = client.get(OVERVIEW, {"caf": cafs.pk}).content.decode()
    assert f'<option value="{cafs.pk}" selected>' in html


@pytest.mark.parametrize(
    "params",
    [
        {"caf": "abc"},
        {"caf": "99999999999999999999999"},
        {"caf": "-1"},
        {"caf": "1\x00"},
        {"departement": "99"},
        {"departement": "<script>"},
        {"departement": "8\x001"},
        {"caf": "abc", "departement": "zz", "page": "x"},
    ],
)
def test_overview_ignores_a_bad_filter_in_french(client, seeded, cafs, superuser, params):
    client.force_login(superuser)
    response = client.get(OVERVIEW, params)
    assert response.status_code == 200
    assert response.context["count"] == 4  # the filter is ignored, and the page says why
    errors = [e for errors in response.context["filters"].errors.values() for e in errors]
    assert errors
    html = response.content.decode()
    for error in errors:
        assert escape(error) in html
        assert "Sélectionnez un choix valide" in error or "caractère nul" in error


def test_overview_refuses_a_caf_the_user_may_not_see(client, seeded, cafs, caf_level_staff):
    client.force_login(caf_level_staff)
    response = client.get(OVERVIEW, {"caf": cafs.pk})
    assert response.status_code == 200
    assert groups_of(response) == [("CAF du Tarn", 1, [SLUG])]
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert "CAF de l’Aude" not in response.content.decode()
    response = client.get(OVERVIEW, {"departement": "11"})
    assert groups_of(response) == [("CAF du Tarn", 1, [SLUG])]
    assert "Sélectionnez un choix valide" in response.content.decode()


def test_overview_pages_keep_the_filters_and_the_groups(client, seeded, cafs, superuser):
    from portal.views import OVERVIEW_PAGE_SIZE

    Convention.objects.bulk_create(
        Convention(
            slug=f"ctg-aude-{n:03d}",
            title=f"CTG audoise {n:03d}",
            territory="Aude",
            start_year=2023,
            end_year=2025,
            caf=cafs,
            department="11",
        )
        for n in range(OVERVIEW_PAGE_SIZE)
    )
    client.force_login(superuser)
    response = client.get(OVERVIEW, {"caf": cafs.pk})
    assert response.context["count"] == OVERVIEW_PAGE_SIZE + 2
    html = response.content.decode()
    assert f'href="?caf={cafs.pk}&amp;page=2"' in html
    response = client.get(OVERVIEW, {"caf": cafs.pk, "page": 2})
    # The group goes on on the next page: its row again, with the CAF's whole count.
    on_page_2 = ["ctg-carcassonne", "ctg-limoux"]
    assert groups_of(response) == [("CAF de l’Aude", OVERVIEW_PAGE_SIZE + 2, on_page_2)]
    response = client.get(OVERVIEW, {"page": 2})
    assert groups_of(response) == [
        ("CAF de l’Aude", OVERVIEW_PAGE_SIZE + 2, on_page_2),
        ("CAF du Tarn", 1, [SLUG]),
        (None, 1, ["ctg-sans-caf"]),
    ]
    assert 'href="?page=1"' in response.content.decode()


def test_overview_query_count_does_not_grow_with_conventions_and_cafs(
    client, seeded, superuser, caf_manager, caf_level_staff
):
    generate(9, cafs=3, seed=5, prefix="s")  # 10 conventions, 4 CAFs
    views = [
        (superuser, {}),
        (superuser, {"caf": seeded.caf_id, "departement": "81"}),
        (superuser, {"page": 2}),
        (caf_manager, {}),
        (caf_level_staff, {"departement": "81"}),
    ]

    def measure():
        counts = []
        for user, params in views:
            client.force_login(user)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(OVERVIEW, params).status_code == 200
            counts.append(len(queries))
        return counts

    small = measure()
    generate(290, cafs=29, seed=6, prefix="l")  # 300 conventions, 33 CAFs
    # A hundred of them join the CAF du Tarn: its members' overview grows too.
    moved = Convention.objects.filter(slug__startswith="l-").order_by("pk")[:100]
    Convention.objects.filter(pk__in=moved.values("pk")).update(caf=seeded.caf, department="81")
    client.force_login(caf_manager)
    response = client.get(OVERVIEW)
    assert response.context["count"] == 101
    client.force_login(superuser)
    response = client.get(OVERVIEW)
    assert response.context["count"] == 300
    assert response.context["figures"]["groups"][0].count == 101  # the CAF du Tarn first
    large = measure()
    assert large == small, (small, large)
    # 13: the selected conventions' keys are read first (portal.overview.overview_rows).
    assert max(large) <= 13


# The seed, the demo accounts, the dataset generator, the backup ------------------------------


def test_seed_convention_belongs_to_the_caf_du_tarn(seeded):
    assert seeded.caf.name == "CAF du Tarn"
    assert seeded.caf.kind == Partner.Kind.CAF
    assert seeded.department == "81"
    assert seeded.signatories.filter(pk=seeded.caf_id).exists()
    # The funder of its lines is that same partner.
    assert set(seeded.funding_lines.values_list("funder", flat=True)) == {seeded.caf_id}


def test_seed_demo_makes_the_caf_account_a_caf_manager(
    client, seeded, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--force", stdout=io.StringIO())
    assert mailoutbox == []  # the pilote named on four sheets is told nothing: muted
    caf = CafMembership.objects.get(user__username="caf")
    assert (caf.caf_id, caf.role) == (seeded.caf_id, CafMembership.Role.MANAGER)
    assert not Membership.objects.filter(user__username="caf").exists()

    user = get_user_model().objects.get(username="caf")
    assert user.check_password("demo-ctg-2025")
    client.force_login(user)
    line = FundingLine.objects.get(convention=seeded, label="Passerelle")
    response = client.post(
        reverse("funding:payment_add", args=[SLUG]),
        {
            "line": line.pk,
            "year": 2024,
            "amount": "14 280",
            "paid_on": "2024-03-15",
            "kind": "advance",
            "submission": once(),
        },
    )
    assert response.status_code == 302
    assert Payment.objects.get(funding_amount__line=line).amount == Decimal("14280")
    sheet = seeded.action_sheets.get(number=4)
    edit = reverse("actions:edit", args=[SLUG, 4])
    assert client.get(edit).status_code == 403
    assert client.post(edit, sheet_edit_payload(sheet, progress=90)).status_code == 403
    assert ActionSheet.objects.get(pk=sheet.pk).progress == sheet.progress


def test_seed_demo_gives_an_older_seed_convention_its_caf(seeded):
    """A seed convention loaded before conventions named their CAF gets the CAF du Tarn."""
    Convention.objects.filter(pk=seeded.pk).update(caf=None, department="")
    call_command("seed_demo", "--force", "--no-progress", stdout=io.StringIO())
    seeded.refresh_from_db()
    assert (seeded.caf.name, seeded.department) == ("CAF du Tarn", "81")
    assert CafMembership.objects.get(user__username="caf").caf_id == seeded.caf_id


@pytest.mark.time_machine(datetime.datetime(2024, 5, 1, 12, 0), tick=False)
def test_generate_dataset_creates_cafs_with_several_conventions():
    generate(12, cafs=3, seed=3, prefix="g")
    conventions = Convention.objects.filter(slug__startswith="g-")
    assert conventions.count() == 12
    per_caf = {}
    for convention in conventions.select_related("caf"):
        assert convention.caf.kind == Partner.Kind.CAF
        per_caf.setdefault(convention.caf, set()).add(convention.department)
    assert len(per_caf) == 3
    assert all(len(departments) == 1 for departments in per_caf.values())
    assert len(set().union(*per_caf.values())) == 3  # one département per CAF
    assert conventions.values("caf").distinct().count() == 3
    for caf in per_caf:
        roles = sorted(caf.caf_memberships.values_list("role", flat=True))
        assert roles == ["manager", "staff"]
        for membership in caf.caf_memberships.select_related("user"):
            visible = Convention.objects.for_user(membership.user)
            assert set(visible) == set(conventions.filter(caf=caf))
            assert not membership.user.memberships.exists()


def test_backup_carries_the_caf_and_department(seeded, caf_manager):
    text = export_convention(seeded)
    caf_pk = seeded.caf_id
    delete_convention(seeded)
    restored = import_convention(text)
    convention = Convention.objects.get(slug=restored.slug)
    assert (convention.caf_id, convention.department) == (caf_pk, "81")
    # The CAF-level memberships are the CAF's: untouched, and they read the restored convention.
    assert CafMembership.objects.filter(user=caf_manager, caf_id=caf_pk).exists()
    assert Convention.objects.for_user(caf_manager).filter(pk=convention.pk).exists()
    assert '"conventions.cafmembership"' not in text


def test_backup_restored_elsewhere_creates_or_matches_the_caf(seeded):
    text = export_convention(seeded)
    caf_name = seeded.caf.name
    delete_convention(seeded)
    # The CAF is gone from this portal: created again from the backup.
    Partner.objects.filter(name=caf_name).delete()
    restored = import_convention(text)
    convention = Convention.objects.get(slug=restored.slug)
    assert convention.caf.name == caf_name and convention.caf.kind == Partner.Kind.CAF
    assert FundingAmount.objects.filter(line__convention=convention).exists()


# The back-office ---------------------------------------------------------------------------


def test_admin_convention_offers_only_cafs_and_refuses_another_partner(client, seeded, superuser):
    client.force_login(superuser)
    url = reverse("admin:conventions_convention_change", args=[seeded.pk])
    response = client.get(url)
    assert response.status_code == 200
    field = response.context["adminform"].form.fields["caf"]
    assert set(field.queryset.values_list("kind", flat=True)) == {Partner.Kind.CAF}
    html = response.content.decode()
    assert 'name="department"' in html and 'value="81"' in html
    # The autocomplete lists CAFs only.
    epci = seeded.epci
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "",
            "app_label": "conventions",
            "model_name": "convention",
            "field_name": "caf",
        },
    )
    ids = {int(item["id"]) for item in response.json()["results"]}
    assert seeded.caf_id in ids and epci.pk not in ids
    # A forged choice of another kind: a French form error, nothing written.
    form = admin_form(seeded, caf=epci.pk, department="81")
    assert not form.is_valid()
    assert "Sélectionnez un choix valide" in str(form.errors["caf"])
    form = admin_form(seeded, caf=seeded.caf_id, department="2C")
    assert not form.is_valid()
    assert "Saisissez un code de département" in str(form.errors["department"])
    seeded.refresh_from_db()
    assert (seeded.caf.kind, seeded.department) == (Partner.Kind.CAF, "81")


def admin_form(convention, **changes):
    """The admin's form of `convention`, bound to its values with `changes`."""
    from django.contrib.admin.sites import site
    from django.forms.models import model_to_dict
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = UserFactory(username="admin-form", is_staff=True, is_superuser=True)
    admin = site._registry[Convention]
    form_class = admin.get_form(request, convention)
    data = {k: v for k, v in model_to_dict(convention).items() if v is not None}
    data.update(changes)
    return form_class(data=data, instance=convention)


def test_admin_lists_caf_members_on_the_cafs_page(client, seeded, superuser, caf_manager):
    client.force_login(superuser)
    html = client.get(
        reverse("admin:conventions_partner_change", args=[seeded.caf_id])
    ).content.decode()
    assert "responsable-caf" in html
    assert "Rattachements à une CAF" in html
    epci = seeded.epci
    html = client.get(reverse("admin:conventions_partner_change", args=[epci.pk])).content.decode()
    assert "responsable-caf" not in html
    response = client.get(reverse("admin:conventions_cafmembership_changelist"))
    assert response.status_code == 200
    assert "responsable-caf" in response.content.decode()
    response = client.get(reverse("admin:conventions_cafmembership_add"))
    field = response.context["adminform"].form.fields["caf"]
    assert set(field.queryset.values_list("kind", flat=True)) == {Partner.Kind.CAF}
