"""Property-based tests: every form of the portal, fed random input, never answers a 500
and never writes when it refuses the input.

hypothesis draws field values among random text, numbers (huge, negative, decimal), dates
(valid or not), empty and missing fields, and ids of this or another convention. The runs
are random (new examples on every run, replayable from the seed a failure prints); 1 000+
examples in all. test_id_fields.py tries every id field deliberately.
"""

import datetime
import string

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.forms import ActionSheetForm
from actions.models import ActionSheet, IndicatorValue, ProgressNote, Step
from funding.models import FundingAmount, FundingLine, Payment

from .factories import (
    ActionSheetFactory,
    FundingAmountFactory,
    FundingLineFactory,
    IndicatorFactory,
    StepFactory,
)
from .helpers import once

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
EXAMPLES = 130  # × 9 forms: 1 170 examples per run

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,  # new examples on every run; a failure prints how to replay it
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
def world(seeded, coordinator, other_convention):
    """The seed convention with a step and an indicator on fiche 4, and another convention."""
    sheet = seeded.action_sheets.get(number=4)
    foreign_sheet = ActionSheetFactory(convention=other_convention)
    foreign_line = FundingLineFactory(convention=other_convention)
    FundingAmountFactory(line=foreign_line, year=2024)
    return {
        "sheet": sheet,
        "step": StepFactory(sheet=sheet, title="Étape à fuzzer"),
        "indicator": IndicatorFactory(sheet=sheet),
        "line": FundingLine.objects.get(convention=seeded, label="Passerelle"),
        "ids": [
            sheet.objective_id,
            seeded.domains.first().pk,
            coordinator.pk,
            foreign_sheet.pk,
            foreign_sheet.objective_id,
            foreign_line.pk,
            0,
            -1,
            2**63,
        ],
    }


def values(ids):
    """Anything a user, a script or a broken browser could send in one field."""
    return st.one_of(
        st.none(),  # the field is missing
        st.just(""),
        st.text(max_size=40),
        st.text(alphabet=string.digits + ",. -€e", max_size=25),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
        st.dates(min_value=datetime.date(1, 1, 1)).map(lambda d: d.isoformat()),
        st.dates(min_value=datetime.date(1900, 1, 1)).map(lambda d: d.strftime("%d/%m/%Y")),
        st.sampled_from(["2024-02-30", "31/02/2024", "9999-99-99", "\x00", "0", "-0", "1e999"]),
        st.sampled_from(ids).map(str),
    )


def payloads(fields, ids):
    return st.fixed_dictionaries({name: values(ids) for name in fields}).map(
        lambda data: {k: v for k, v in data.items() if v is not None}
    )


def snapshot():
    """What a refused form must leave untouched."""
    return (
        list(ActionSheet.objects.order_by("pk").values_list("pk", "version", "status", "progress")),
        ActionSheet.history.count(),
        Step.history.count(),
        IndicatorValue.objects.count(),
        ProgressNote.objects.count(),
        Payment.objects.count(),
        list(FundingAmount.objects.order_by("pk").values_list("pk", "planned")),
        FundingLine.objects.count(),
    )


def check(client, url, data, **extra):
    before = snapshot()
    response = client.post(url, data, **extra)
    assert response.status_code < 500
    if response.status_code != 302:  # refused: nothing written
        assert snapshot() == before
    return response


SHEET_FIELDS = [
    *ActionSheetForm.Meta.fields,
    "version",
    "steps-TOTAL_FORMS",
    "steps-INITIAL_FORMS",
    "steps-0-title",
    "steps-0-due_on",
    "steps-0-done_on",
    "steps-0-id",
    "indicators-TOTAL_FORMS",
    "indicators-INITIAL_FORMS",
    "indicators-0-label",
    "indicators-0-baseline",
    "indicators-0-target",
    "indicators-0-kind",
]


def test_fuzz_sheet_edit(client, coordinator, world):
    client.force_login(coordinator)
    url = reverse("actions:edit", args=[SLUG, 4])

    @FUZZ
    @given(payloads(SHEET_FIELDS, world["ids"]))
    def run(data):
        check(client, url, data)

    run()


def test_fuzz_sheet_create(client, coordinator, world):
    client.force_login(coordinator)
    url = reverse("actions:create", args=[SLUG])

    @FUZZ
    @given(payloads(SHEET_FIELDS, world["ids"]))
    def run(data):
        check(client, url, data)

    run()


def test_fuzz_note(client, coordinator, world):
    client.force_login(coordinator)
    url = reverse("actions:note_add", args=[SLUG, 4])

    @FUZZ
    @given(
        payloads(
            ["text", "written_on", "status", "progress", "is_public", "version"], world["ids"]
        ),
        st.one_of(st.none(), st.just(once()), st.text(max_size=70)),
    )
    def run(data, token):
        check(client, url, data if token is None else {**data, "submission": token})

    run()


def test_fuzz_step_done(client, coordinator, world):
    client.force_login(coordinator)
    step = world["step"]

    @FUZZ
    @given(payloads(["done_on"], world["ids"]))
    def run(data):
        Step.objects.filter(pk=step.pk).update(done_on=None)
        check(client, reverse("actions:step_done", args=[SLUG, 4, step.pk]), data)

    run()


def test_fuzz_indicator_value(client, coordinator, world):
    client.force_login(coordinator)
    indicator = world["indicator"]
    prefix = f"value-{indicator.pk}"
    url = reverse("actions:value_add", args=[SLUG, 4, indicator.pk])

    @FUZZ
    @given(
        payloads([f"{prefix}-measured_on", f"{prefix}-value", f"{prefix}-comment"], world["ids"])
    )
    def run(data):
        check(client, url, data)

    run()


def test_fuzz_payment(client, caf_staff, world):
    client.force_login(caf_staff)
    url = reverse("funding:payment_add", args=[SLUG])

    @FUZZ
    @given(
        payloads(["line", "year", "amount", "paid_on", "kind", "note"], world["ids"]),
        st.one_of(st.none(), st.just(once()), st.text(max_size=70)),
    )
    def run(data, token):
        check(client, url, data if token is None else {**data, "submission": token})

    run()


def test_fuzz_amounts(client, caf_staff, world):
    client.force_login(caf_staff)
    line = world["line"]
    url = reverse("funding:amounts", args=[SLUG])
    fields = [f"{kind}-{line.pk}-{year}" for kind in ("amount", "seen") for year in (2023, 2025)]

    @FUZZ
    @given(payloads([*fields, f"amount-{line.pk}-2030"], world["ids"]))
    def run(data):
        check(client, url, data)

    run()


def test_fuzz_import(client, caf_staff, world):
    client.force_login(caf_staff)
    url = reverse("funding:import", args=[SLUG])
    header = "Ligne de financement;Structure;Catégorie;Financeur;Part;2023;2024;2025\r\n"

    @FUZZ
    @given(
        st.sampled_from(["csv", "xlsx", "ods", "pdf", "CSV", ""]),
        st.one_of(
            st.binary(max_size=300),
            st.lists(st.lists(st.text(max_size=12), max_size=9), max_size=6).map(
                lambda rows: (header + "\r\n".join(";".join(r) for r in rows)).encode()
            ),
        ),
    )
    def run(extension, content):
        upload = SimpleUploadedFile(f"fichier.{extension}", content)
        check(client, url, {"file": upload})

    run()


def test_fuzz_login(client, coordinator):
    url = reverse("login")

    @FUZZ
    @given(payloads(["username", "password", "next"], [coordinator.pk]))
    def run(data):
        response = client.post(url, data, REMOTE_ADDR="198.51.100.7")
        assert response.status_code < 500

    run()
