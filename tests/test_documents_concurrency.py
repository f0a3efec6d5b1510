"""Concurrent writes of documents on PostgreSQL: two deletions of one document at once delete
it once (the other is told so, no error); one upload posted twice at once (a double click) adds
one document and stores one file.

Each thread is a browser of its own (a test Client with its own database connection) and all
post at the same instant (a barrier), as in tests/test_concurrency.py.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from conventions.models import Membership
from documents.models import Document

from .factories import MembershipFactory, UserFactory
from .helpers import once, post_together
from .test_documents import make_document
from .test_documents_files import pdf_bytes, stored_files

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"
    ),
]

SLUG = "thore-montagne-noire-2023-2025"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def two_coordinators(seeded):
    users = [UserFactory(username="coordination1"), UserFactory(username="coordination2")]
    for user in users:
        MembershipFactory(user=user, convention=seeded, role=Membership.Role.COORDINATOR)
    return users


def messages_of(response):
    return [str(message) for message in response.wsgi_request._messages]


def test_two_deletions_at_once_delete_once(seeded, two_coordinators):
    document = make_document(seeded)
    url = reverse("documents:delete", args=[SLUG, document.pk])
    responses = post_together([(user, url, dict) for user in two_coordinators])
    assert [r.status_code for r in responses] == [302, 302]
    told = [messages_of(r) for r in responses]
    assert sorted(any("déjà été supprimé" in m for m in ms) for ms in told) == [False, True]
    kept = Document.all_objects.get(pk=document.pk)
    assert kept.deleted_at is not None and kept.deleted_by in two_coordinators
    # One record of the deletion in the history, after the creation.
    assert [r.deleted_at is not None for r in kept.history.all()] == [True, False]


def test_an_upload_posted_twice_at_once_adds_once(seeded, two_coordinators, media):
    token = once()
    coordinator = two_coordinators[0]

    def data():
        return {
            "submission": token,
            "kind": "deliberation",
            "title": "Délibération",
            "date": "2024-03-14",
            "attached_to": "convention",
            "file": SimpleUploadedFile("deliberation.pdf", pdf_bytes()),
        }

    url = reverse("documents:add", args=[SLUG])
    responses = post_together([(coordinator, url, data), (coordinator, url, data)])
    assert [r.status_code for r in responses] == [302, 302]
    assert Document.objects.count() == 1
    assert stored_files(media) == [Document.objects.get().file.name]
    told = [messages_of(r) for r in responses]
    assert sorted(any("déjà été ajouté" in m for m in ms) for ms in told) == [False, True]
