"""The renewal wizard of a convention (/conventions/<slug>/renouveler/): its defaults, its
French refusals that write nothing, the renewal that carries exactly what the preview showed,
double submissions, an already renewed convention, and the preview's query count at 16 and at
300 sheets. The concurrency of two confirms is in tests/test_renewals_concurrency.py."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import ActionSheet, Indicator, IndicatorValue, Step
from conventions.models import Convention, Membership, Signatory
from funding.models import FundingAmount, FundingLine, Payment
from operations import seed
from operations.demo import add_demo_progress

from .factories import (
    CommuneFactory,
    ConventionFactory,
    IndicatorFactory,
    PartnerFactory,
    StepFactory,
)
from .helpers import once

pytestmark = pytest.mark.django_db

URL = reverse("renewals:renew", args=[seed.SLUG])
NEW_SLUG = "thore-montagne-noire-2026-2028"


def form_data(form):
    """The data an unbound form posts as its defaults render."""
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, list | tuple | set):
            data[name] = [str(item) for item in value]
        else:
            data[name] = "" if value is None else str(value)
    return data


class Wizard:
    """A coordinator's walk through the wizard, step by step, as the pages post it."""

    def __init__(self, client):
        self.client = client
        self.first = {}
        self.second = {}

    def start(self):
        response = self.client.get(URL)
        assert response.status_code == 200
        self.first = form_data(response.context["form"])
        return response

    def next(self, **changes):
        if not self.first:
            self.start()
        self.first.update(changes)
        response = self.client.post(URL, {**self.first, "action": "next"})
        if response.status_code == 200:
            self.second = form_data(response.context["form"])
        return response

    def preview(self, **changes):
        if not self.second:
            assert self.next().status_code == 200
        self.second.update(changes)
        return self.client.post(URL, {**self.first, **self.second, "action": "preview"})

    def confirm(self, token=None, **changes):
        response = self.preview(**changes)
        assert response.status_code == 200, response.context["form"].errors
        self.token = token or response.context["form"]["submission"].initial
        self.fingerprint = response.context["form"]["fingerprint"].initial
        return self.client.post(URL, self.confirmation())

    def confirmation(self):
        """The preview's form as it posts the confirmation (token and fingerprint)."""
        return {
            **self.first,
            **self.second,
            "submission": self.token,
            "fingerprint": self.fingerprint,
            "action": "confirm",
        }


def counts_of(response):
    """The counts per kind as the preview page shows them."""
    html = response.content.decode()
    return {kind: int(n) for kind, n in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def nothing_written(before=1):
    assert Convention.objects.count() == before


@pytest.fixture
def rich(seeded, coordinator, pilot, elected, caf_staff):
    """The seed convention with the demonstration's progress (done and abandoned sheets,
    steps, indicators with values), links to carry over, an archived sheet, an indicator
    without any value and a step due within the new period."""
    add_demo_progress(seeded, coordinator)
    sheet4 = seeded.action_sheets.get(number=4)
    sheet4.partners.add(PartnerFactory(name="Association Familles"))
    sheet4.communes.add(CommuneFactory(name="Labruguière", insee_code="81120"))
    sheet4.lead_partner = seeded.caf
    sheet4.elected_referent = "Mme la vice-présidente"
    sheet4.save()
    IndicatorFactory(
        sheet=sheet4,
        label="Sans valeur",
        baseline=Decimal("5"),
        baseline_date=datetime.date(2022, 12, 31),
        baseline_source="Diagnostic",
    )
    StepFactory(sheet=sheet4, title="Dans la période", due_on=datetime.date(2026, 5, 1))
    seeded.action_sheets.filter(number=14).update(
        archived_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    )
    return seeded


@pytest.fixture
def wizard(client, coordinator):
    client.force_login(coordinator)
    return Wizard(client)


# --- Defaults --------------------------------------------------------------------------------


def test_step_one_defaults(seeded, wizard):
    response = wizard.start()
    html = response.content.decode()
    assert "Renouveler la convention" in html and "Étape 1 sur 3" in html
    first = wizard.first
    assert (first["start_year"], first["end_year"]) == ("2026", "2028")
    assert first["slug"] == NEW_SLUG
    assert first["title"] == seeded.title  # it names no year
    assert first["territory"] == seeded.territory
    assert first["epci"] == str(seeded.epci_id)
    signatories = seeded.signatory_set.values_list("partner_id", flat=True)
    assert sorted(first["signatories"]) == sorted(str(pk) for pk in signatories)


def test_a_title_naming_the_years_gets_the_new_ones(seeded, wizard):
    Convention.objects.filter(pk=seeded.pk).update(title="CTG Thoré 2023–2025")
    wizard.start()
    assert wizard.first["title"] == "CTG Thoré 2026–2028"


def test_step_two_defaults(rich, wizard):
    response = wizard.next()
    assert response.status_code == 200
    assert "Étape 2 sur 3" in response.content.decode()
    second = wizard.second
    unfinished = ActionSheet.objects.filter(convention=rich).active().unfinished()
    assert sorted(map(int, second["sheets"])) == sorted(unfinished.values_list("pk", flat=True))
    assert 0 < len(second["sheets"]) < 15  # some done or abandoned, one archived
    offered = response.context["form"].source.sheets
    assert len(offered) == 15  # the archived one is not offered
    assert second["numbering"] == "keep"
    assert len(second["objectives"]) == rich.objectives.count() == 7
    assert len(second["challenges"]) == rich.challenges.count()
    assert len(second["domains"]) == rich.domains.count()
    assert len(second["members"]) == rich.memberships.count()
    assert len(second["lines"]) == rich.funding_lines.count() == 9
    indicators = Indicator.objects.filter(sheet__convention=rich, sheet__archived_at__isnull=True)
    assert sorted(map(int, second["indicators"])) == sorted(indicators.values_list("pk", flat=True))
    # One amount per line and new year, the line's amount of the old last year.
    for line in rich.funding_lines.all():
        last = line.amounts.get(year=2025).planned
        for year in (2026, 2027, 2028):
            assert Decimal(second[f"amount-{line.pk}-{year}"]) == last
    # Each sheet offered with its number, title, status and progress.
    html = response.content.decode()
    assert html.count('name="sheets"') == 15
    done = rich.action_sheets.get(number=3)
    assert f"3. {done.title}" in html and "100" in html


# --- Refusals, in French, writing nothing ----------------------------------------------------


def test_a_slug_taken_is_refused(seeded, wizard):
    ConventionFactory(slug=NEW_SLUG, territory="Ailleurs", start_year=2020, end_year=2021)
    response = wizard.next()
    assert response.status_code == 400
    assert "Cet identifiant d’URL est déjà pris" in response.content.decode()
    nothing_written(2)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026", "2031", "Une CTG dure cinq ans au plus."),
        ("2028", "2026", "La dernière année ne peut pas précéder la première année."),
        ("1999", "2001", "Saisissez une année comprise entre 2000 et 2100."),
        ("2099", "2101", "Saisissez une année comprise entre 2000 et 2100."),
    ],
)
def test_a_bad_period_is_refused(seeded, wizard, start, end, message):
    response = wizard.next(start_year=start, end_year=end)
    assert response.status_code == 400
    assert message in response.content.decode()
    nothing_written()


def test_a_period_overlapping_the_old_convention_is_refused(seeded, wizard):
    response = wizard.next(start_year="2025", end_year="2027", slug="thore-2025-2027")
    assert response.status_code == 400
    html = response.content.decode()
    assert "chevauche la convention" in html and "2023–2025" in html
    nothing_written()


def test_a_period_overlapping_another_convention_of_the_same_epci_is_refused(seeded, wizard):
    ConventionFactory(
        slug="autre", territory="Autre nom", epci=seeded.epci, start_year=2028, end_year=2029
    )
    response = wizard.next()
    assert response.status_code == 400
    assert "chevauche la convention" in response.content.decode()
    nothing_written(2)


def test_a_convention_recorded_without_its_epci_is_found_by_its_territory(seeded, wizard):
    ConventionFactory(
        slug="autre", territory=seeded.territory.upper(), start_year=2027, end_year=2029
    )
    response = wizard.next()  # the new one names the EPCI, the other only the territory
    assert response.status_code == 400
    assert "chevauche la convention" in response.content.decode()
    response = wizard.next(epci="")
    assert response.status_code == 400
    nothing_written(2)


def test_a_sheet_ticked_without_its_objective_is_refused(rich, wizard):
    wizard.next()
    sheet = ActionSheet.objects.get(convention=rich, number=1)
    objectives = [pk for pk in wizard.second["objectives"] if pk != str(sheet.objective_id)]
    response = wizard.preview(objectives=objectives)
    assert response.status_code == 400
    html = response.content.decode()
    assert "La fiche « 1. " in html and "est reportée sans son objectif" in html
    nothing_written()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("beaucoup", "Saisissez un nombre."),
        ("-5", "Un montant ne peut pas être négatif."),
        ("", "Saisissez un montant pour chaque année : 0 s’il n’y en a pas."),
    ],
)
def test_a_bad_amount_is_refused(rich, wizard, amount, message):
    wizard.next()
    line = rich.funding_lines.first()
    response = wizard.preview(**{f"amount-{line.pk}-2027": amount})
    assert response.status_code == 400
    assert message in response.content.decode()
    nothing_written()


def test_a_french_amount_is_read(rich, wizard):
    wizard.next()
    line = rich.funding_lines.first()
    response = wizard.preview(**{f"amount-{line.pk}-2027": "12 500,50"})
    assert response.status_code == 200
    row = next(r for r in response.context["preview"].lines if r.line == line)
    assert dict(row.amounts)[2027] == Decimal("12500.50")


def test_edit_goes_back_to_step_two_with_the_choices_kept(rich, wizard):
    wizard.next()
    kept = wizard.second["sheets"][1:]
    wizard.preview(sheets=kept)
    response = wizard.client.post(URL, {**wizard.first, **wizard.second, "action": "edit"})
    assert response.status_code == 200
    assert response.context["step"] == 2
    assert response.context["form"].ticked["sheets"] == set(map(int, kept))
    nothing_written()


# --- The renewal ------------------------------------------------------------------------------


def test_the_renewal_carries_what_the_preview_showed(rich, wizard, coordinator, pilot, elected):
    wizard.next()
    second = wizard.second
    sheets = list(map(int, second["sheets"]))
    dropped_sheets = sheets[:2]
    dropped_indicator = next(
        i for i in Indicator.objects.filter(sheet__convention=rich, sheet_id__in=sheets[2:])
    )
    dropped_member = Membership.objects.get(convention=rich, user=elected)
    dropped_line = rich.funding_lines.order_by("position").last()
    changes = {
        "sheets": [str(pk) for pk in sheets[2:]],
        "indicators": [i for i in second["indicators"] if i != str(dropped_indicator.pk)],
        "members": [m for m in second["members"] if m != str(dropped_member.pk)],
        "lines": [line for line in second["lines"] if line != str(dropped_line.pk)],
    }
    preview = wizard.preview(**changes)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Étape 3 sur 3" in html and "Confirmer le renouvellement" in html
    shown = counts_of(preview)
    assert shown == preview.context["preview"].counts

    response = wizard.confirm()
    new = Convention.objects.get(predecessor=rich)
    assert response.status_code == 302 and response["Location"] == f"/conventions/{NEW_SLUG}/"
    assert new.slug == NEW_SLUG and (new.start_year, new.end_year) == (2026, 2028)
    created = {
        "objectives": new.objectives.count(),
        "challenges": new.challenges.count(),
        "domains": new.domains.count(),
        "sheets": new.action_sheets.count(),
        "steps": Step.objects.filter(sheet__convention=new).count(),
        "indicators": Indicator.objects.filter(sheet__convention=new).count(),
        "members": new.memberships.count(),
        "signatories": new.signatory_set.count(),
        "lines": new.funding_lines.count(),
        "amounts": FundingAmount.objects.filter(line__convention=new).count(),
    }
    assert created == shown
    assert (
        sum(FundingAmount.objects.filter(line__convention=new).values_list("planned", flat=True))
        == preview.context["preview"].total
    )

    # Nothing of what was unticked.
    carried_from = set(new.action_sheets.values_list("predecessor_id", flat=True))
    assert carried_from == set(sheets[2:]) and not carried_from & set(dropped_sheets)
    assert not Indicator.objects.filter(
        sheet__convention=new,
        label=dropped_indicator.label,
        sheet__predecessor=dropped_indicator.sheet,
    ).exists()
    assert not new.memberships.filter(user=elected).exists()
    assert not new.funding_lines.filter(label=dropped_line.label).exists()
    assert new.memberships.filter(user=coordinator, role="coordinator").exists()

    # Statuses: the new one in preparation, the old one renewed.
    today = datetime.date(2025, 11, 28)
    assert new.status_on(today) == Convention.Status.DRAFT
    rich.refresh_from_db()
    assert rich.status_on(today) == Convention.Status.RENEWED
    assert new.signed_on is None and not new.is_public and new.caf_id == rich.caf_id
    assert new.department == rich.department and new.epci_id == rich.epci_id
    assert new.has_demo_data == rich.has_demo_data

    # Sheets: linked to their predecessor, to be launched again, numbers kept.
    for sheet in new.action_sheets.select_related("predecessor", "objective"):
        old = sheet.predecessor
        assert sheet.number == old.number and sheet.title == old.title
        assert sheet.status == ActionSheet.Status.TODO and sheet.progress == 0
        assert sheet.planned_start is None and sheet.planned_end is None
        assert sheet.objective.number == old.objective.number
        assert sheet.objective.convention_id == new.pk
        assert sheet.search_text and sheet.search_text == old.search_text
        assert sheet.history.count() == 1
    assert ActionSheet.objects.get(convention=rich, pk=sheets[2]).successor.convention == new


def test_links_steps_and_indicators_carried(rich, wizard, pilot):
    wizard.confirm()
    new = Convention.objects.get(predecessor=rich)
    old4 = rich.action_sheets.get(number=4)
    new4 = new.action_sheets.get(number=4)
    assert new4.predecessor == old4
    assert {d.name for d in new4.domains.all()} == {d.name for d in old4.domains.all()}
    assert {d.convention_id for d in new4.domains.all()} == {new.pk}
    assert set(new4.partners.all()) == set(old4.partners.all())
    assert set(new4.communes.all()) == set(old4.communes.all())
    assert list(new4.pilots.all()) == [pilot]
    assert new4.lead_partner == old4.lead_partner and new4.elected_referent == old4.elected_referent
    # The history's first record holds the links.
    record = new4.history.get()
    assert {row.domain_id for row in record.domains.all()} == set(
        new4.domains.values_list("pk", flat=True)
    )
    assert [row.user_id for row in record.pilots.all()] == [pilot.pk]

    # Steps: the unfinished ones, a due date kept only within 2026–2028.
    for old_sheet in rich.action_sheets.active().unfinished():
        new_sheet = new.action_sheets.get(predecessor=old_sheet)
        open_steps = old_sheet.steps.filter(done_on__isnull=True).order_by("position", "pk")
        assert [s.title for s in new_sheet.steps.order_by("position", "pk")] == [
            s.title for s in open_steps
        ]
    due = {s.title: s.due_on for s in new4.steps.all()}
    assert due["Dans la période"] == datetime.date(2026, 5, 1)
    assert all(d is None or datetime.date(2026, 1, 1) <= d for d in due.values())
    assert Step.objects.filter(sheet__convention=new, done_on__isnull=False).count() == 0

    # Indicators: the last value as baseline, else the old baseline.
    source = "valeur mesurée dans la convention précédente"
    for old in Indicator.objects.filter(
        sheet__convention=rich, sheet__in=rich.action_sheets.active().unfinished()
    ):
        new_indicator = Indicator.objects.get(sheet__predecessor=old.sheet, label=old.label)
        last = old.values.order_by("-measured_on").first()
        assert (
            new_indicator.unit,
            new_indicator.kind,
            new_indicator.decimals,
            new_indicator.target,
        ) == (old.unit, old.kind, old.decimals, old.target)
        assert new_indicator.yearly_targets == {} and not new_indicator.values.exists()
        if last is None:
            assert (
                new_indicator.baseline,
                new_indicator.baseline_date,
                new_indicator.baseline_source,
            ) == (old.baseline, old.baseline_date, old.baseline_source)
        else:
            assert (
                new_indicator.baseline,
                new_indicator.baseline_date,
                new_indicator.baseline_source,
            ) == (last.value, last.measured_on, source)
    assert IndicatorValue.objects.filter(indicator__sheet__convention=rich).exists()
    measured = Indicator.objects.filter(sheet__convention=new, baseline_source=source)
    assert measured.exists()


def test_funding_amounts_per_new_year(rich, wizard):
    wizard.next()
    line = rich.funding_lines.order_by("position").first()
    wizard.confirm(**{f"amount-{line.pk}-2027": "50 000"})
    new = Convention.objects.get(predecessor=rich)
    copy = new.funding_lines.get(label=line.label)
    assert (copy.category, copy.funder_id, copy.position) == (
        line.category,
        line.funder_id,
        line.position,
    )
    last = line.amounts.get(year=2025).planned
    assert dict(copy.amounts.values_list("year", "planned")) == {
        2026: last,
        2027: Decimal("50000"),
        2028: last,
    }
    assert not Payment.objects.filter(funding_amount__line__convention=new).exists()
    with_structure = new.funding_lines.exclude(structure=None)
    assert with_structure.exists()
    assert all(line.structure.convention_id == new.pk for line in with_structure)
    assert {s.partner_id for s in Signatory.objects.filter(convention=new)} == set(
        rich.signatory_set.values_list("partner_id", flat=True)
    )
    assert not Signatory.objects.filter(convention=new, signed_on__isnull=False).exists()


def test_renumbering(rich, wizard):
    wizard.next()
    kept = sorted(rich.action_sheets.active().unfinished().values_list("number", flat=True))
    wizard.confirm(numbering="renumber")
    new = Convention.objects.get(predecessor=rich)
    pairs = list(new.action_sheets.order_by("number").values_list("number", "predecessor__number"))
    assert pairs == list(enumerate(kept, start=1))


def test_a_double_submission_renews_once(rich, wizard):
    first = wizard.confirm()
    assert first.status_code == 302
    again = wizard.client.post(URL, wizard.confirmation())
    assert again.status_code == 302 and again["Location"] == f"/conventions/{NEW_SLUG}/"
    assert Convention.objects.filter(predecessor=rich).count() == 1
    assert Convention.objects.count() == 2
    messages = [str(m) for m in again.wsgi_request._messages]
    assert any("Cette convention a déjà été renouvelée par" in m for m in messages)


def test_a_post_on_a_renewed_convention_creates_nothing(rich, wizard, client):
    wizard.confirm()
    counts = (Convention.objects.count(), ActionSheet.objects.count(), FundingLine.objects.count())
    response = client.post(
        URL,
        {
            **wizard.first,
            **wizard.second,
            "slug": "autre-2026",
            "submission": once(),
            "action": "confirm",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/conventions/{NEW_SLUG}/"
    assert (
        Convention.objects.count(),
        ActionSheet.objects.count(),
        FundingLine.objects.count(),
    ) == counts
    page = client.get(URL)
    html = page.content.decode()
    assert page.status_code == 200 and "déjà été renouvelée" in html
    assert (
        f'href="/conventions/{NEW_SLUG}/"' in html and '<form method="post" novalidate>' not in html
    )


def test_a_renewing_caf_manager_without_membership(rich, client, caf_manager):
    client.force_login(caf_manager)
    wizard = Wizard(client)
    response = wizard.confirm()
    assert response.status_code == 302
    new = Convention.objects.get(predecessor=rich)
    assert new.memberships.count() == rich.memberships.count()
    assert new.history.first().history_user == caf_manager


def test_the_own_membership_is_always_carried(rich, wizard, coordinator):
    wizard.next()
    mine = Membership.objects.get(convention=rich, user=coordinator)
    wizard.confirm(members=[m for m in wizard.second["members"] if m != str(mine.pk)])
    new = Convention.objects.get(predecessor=rich)
    assert new.memberships.filter(user=coordinator).exists()


# --- Query count ---------------------------------------------------------------------------


def add_sheets(convention, count):
    """`count` more sheets (running), each with three steps and an indicator with a value."""
    objective = convention.objectives.order_by("number").first()
    start = ActionSheet.objects.next_number(convention)
    sheets = ActionSheet.objects.bulk_create(
        [
            ActionSheet(
                convention=convention,
                number=start + k,
                title=f"Fiche générée {k}",
                objective=objective,
                status=ActionSheet.Status.IN_PROGRESS,
                progress=30,
            )
            for k in range(count)
        ]
    )
    Step.objects.bulk_create(
        [Step(sheet=s, title=f"Étape {n}", position=n) for s in sheets for n in range(1, 4)]
    )
    indicators = Indicator.objects.bulk_create(
        [Indicator(sheet=s, label="Familles", baseline=Decimal("3")) for s in sheets]
    )
    IndicatorValue.objects.bulk_create(
        [
            IndicatorValue(indicator=i, measured_on=datetime.date(2024, 12, 31), value=Decimal("8"))
            for i in indicators
        ]
    )


def preview_queries(wizard):
    wizard.next()
    with CaptureQueriesContext(connection) as queries:
        response = wizard.preview()
    assert response.status_code == 200
    return len(queries), response


def test_the_preview_query_count_does_not_grow_with_the_sheets(rich, client, coordinator):
    client.force_login(coordinator)
    small, response = preview_queries(Wizard(client))
    assert response.context["preview"].counts["sheets"] < 16
    add_sheets(rich, 300 - rich.action_sheets.count())
    large, response = preview_queries(Wizard(client))
    assert response.context["preview"].counts["sheets"] > 280
    assert response.context["preview"].counts["steps"] > 850
    assert small == large, (small, large)


def test_the_renewal_of_300_sheets_writes_in_bulk(rich, client, coordinator):
    add_sheets(rich, 300 - rich.action_sheets.count())
    wizard = Wizard(client)
    client.force_login(coordinator)
    preview = wizard.preview()
    token = preview.context["form"]["submission"].initial
    fingerprint = preview.context["form"]["fingerprint"].initial
    data = {
        **wizard.first,
        **wizard.second,
        "submission": token,
        "fingerprint": fingerprint,
        "action": "confirm",
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, data)
    assert response.status_code == 302
    # In bulk: far fewer queries than rows (SQLite splits a bulk insert in batches).
    assert len(queries) < 150, len(queries)
    new = Convention.objects.get(predecessor=rich)
    assert new.action_sheets.count() > 280
    assert not new.action_sheets.filter(search_text="").exists()


def test_a_change_since_the_preview_shows_the_new_preview_and_writes_nothing(rich, wizard):
    response = wizard.preview()
    assert response.status_code == 200
    wizard.token = response.context["form"]["submission"].initial
    wizard.fingerprint = response.context["form"]["fingerprint"].initial
    # A colleague marks a carried sheet's open step done meanwhile.
    step = Step.objects.filter(
        sheet__convention=rich, sheet__pk__in=wizard.second["sheets"], done_on__isnull=True
    ).first()
    step.done_on = datetime.date(2025, 11, 27)
    step.save()
    refused = wizard.client.post(URL, wizard.confirmation())
    assert refused.status_code == 409
    assert "La convention a changé depuis l’aperçu" in refused.content.decode()
    nothing_written()
    # The new preview carries the new fingerprint: confirmed knowingly, it renews.
    wizard.token = refused.context["form"]["submission"].initial
    wizard.fingerprint = refused.context["form"]["fingerprint"].initial
    assert wizard.client.post(URL, wizard.confirmation()).status_code == 302
    nothing_written(2)


def test_a_forged_id_among_the_boxes_is_a_french_error(rich, wizard):
    wizard.next()
    response = wizard.preview(sheets=["²", "12abc", str(10**30)])
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()


def test_at_least_one_coordinator_is_carried(rich, client, caf_manager):

    client.force_login(caf_manager)  # a CAF manager has no membership of their own
    wizard = Wizard(client)
    wizard.next()
    coordinators = set(
        Membership.objects.filter(convention=rich, role="coordinator").values_list("pk", flat=True)
    )
    members = [pk for pk in wizard.second["members"] if int(pk) not in coordinators]
    response = wizard.preview(members=members)
    assert response.status_code == 400
    assert "Reportez au moins un coordinateur" in response.content.decode()
