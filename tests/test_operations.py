"""Operations on whole conventions: the bulk dataset generator."""

import datetime

import pytest

from actions.models import IndicatorValue, ProgressNote, Step
from funding.models import Payment
from operations.management.commands.generate_dataset import generate

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 5, 1)


@pytest.mark.time_machine(datetime.datetime(2024, 5, 1, 12, 0), tick=False)
def test_generated_data_never_dated_in_the_future():
    generate(4, seed=3, prefix="op")
    assert Step.objects.filter(done_on__isnull=False).exists()
    assert not Step.objects.filter(done_on__gt=TODAY).exists()
    assert not ProgressNote.objects.filter(written_on__gt=TODAY).exists()
    assert not IndicatorValue.objects.filter(measured_on__gt=TODAY).exists()
    assert not Payment.objects.filter(paid_on__gt=TODAY).exists()
    assert Payment.objects.exists()
