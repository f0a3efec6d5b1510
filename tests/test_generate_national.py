"""The national dataset's newer parts: files through the storage, history records, invited
people and API tokens (generate_dataset's --files, --history and --people)."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command

from accounts.models import ApiToken, Invitation
from bilans.models import SheetReview
from committees.models import Decision, Meeting
from conventions.models import Membership
from documents.models import Document
from evaluations.models import Evaluation
from operations.management.commands.generate_dataset import generate

pytestmark = pytest.mark.django_db


def test_files_are_written_through_the_storage_and_every_row_has_its_history():
    generate(3, seed=1, prefix="nat", files=2, history=True)
    files = Document.objects.exclude(file="")
    assert files.count() == 6
    kinds = set()
    for document in files:
        with default_storage.open(document.file.name) as stored:
            content = stored.read()
        assert len(content) == document.size
        kinds.add(content[:4])
        assert document.file.name.startswith(f"documents/{document.convention_id}/")
        assert document.original_name not in document.file.name  # a random name
    assert kinds == {b"%PDF", b"\x89PNG"}
    assert files.filter(content_type="application/pdf", sheet__isnull=False).count() == 3
    assert files.filter(content_type="image/png", funding_year__isnull=False).count() == 3
    for model in (Meeting, Decision, Document, SheetReview, Evaluation):
        assert model.history.count() == model.objects.count() > 0, model


def test_by_default_no_file_and_no_history_beyond_the_sheets():
    generate(2, seed=1, prefix="fast")
    assert not Document.objects.exclude(file="").exists()
    assert not Meeting.history.exists() and not SheetReview.history.exists()


def test_three_invited_people_per_convention_and_a_token_of_its_coordinator():
    generate(2, seed=1, prefix="a")
    generate(2, seed=1, prefix="b")  # the same draws: no digest, prefix or name collides
    invitations = Invitation.objects.all()
    assert invitations.count() == 12
    assert (
        sorted(i.state() for i in invitations)
        == ["accepted"] * 4 + ["expired"] * 4 + ["pending"] * 4
    )
    for invitation in invitations:
        user = invitation.user
        assert user.has_usable_password() == (invitation.state() == "accepted")
        assert Membership.objects.filter(user=user, convention=invitation.convention).exists()
        assert invitation.invited_by.username.endswith("-0")  # the coordinator
    tokens = ApiToken.objects.live()
    assert tokens.count() == 4
    assert {len(t.prefix) for t in tokens} == {12} and {len(t.digest) for t in tokens} == {64}
    assert {t.user.username for t in tokens} == {
        f"{p}-user-{i:04d}-0" for p in "ab" for i in range(2)
    }


def test_the_command_switches_the_parts_off():
    out = io.StringIO()
    call_command(
        "generate_dataset",
        conventions=1,
        files=0,
        people=False,
        history=False,
        bilans=False,
        meetings=0,
        stdout=out,
    )
    assert not Invitation.objects.exists() and not ApiToken.objects.exists()
    assert not Document.objects.exists() and not Meeting.objects.exists()
    assert get_user_model().objects.count() == 7  # 5 members and the CAF's 2
    out = io.StringIO()
    call_command("generate_dataset", conventions=1, prefix="on", stdout=out)
    assert Document.objects.exclude(file="").count() == 1
    assert Invitation.objects.count() == 3 and Meeting.history.exists()
