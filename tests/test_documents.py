"""The convention's documents: who reads, adds and deletes them (the permission matrix), the
download and its headers, links, what a document is attached to, soft deletion and the
back-office's restore, a double submission, the include for other pages, and the list's fixed
number of queries."""

import datetime
import os
import re
import zoneinfo

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from committees.models import Meeting
from conventions.perms import get_convention_access_or_404
from documents import queries
from documents.models import Document

from .factories import ActionSheetFactory, UserFactory
from .helpers import once
from .test_documents_files import pdf_bytes, stored_files, xlsx_bytes

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
SLUG = "thore-montagne-noire-2023-2025"
PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS), tick=False),
]

URL_NAMES = {"documents:list", "documents:add", "documents:download", "documents:delete"}

READERS = {"pilot", "elected", "caf_staff"}
MANAGERS = {"coordinator", "superuser"}

# name → {persona: (GET, POST)}. The document of the matrix is attached to the convention:
# pilots read it but do not delete it. An empty post of the form is refused (400) for those
# who may add (pilots add to their sheets), 403 for the others.
MATRIX = {
    "documents:list": {
        "anonymous": (302, 302),
        "outsider": (404, 405),
        **dict.fromkeys(MANAGERS | READERS, (200, 405)),
    },
    "documents:add": {
        "anonymous": (302, 302),
        "outsider": (302, 404),
        **dict.fromkeys(MANAGERS | {"pilot"}, (302, 400)),
        **dict.fromkeys({"elected", "caf_staff"}, (302, 403)),
    },
    "documents:download": {
        "anonymous": (302, 302),
        "outsider": (404, 405),
        **dict.fromkeys(MANAGERS | READERS, (200, 405)),
    },
    "documents:delete": {
        "anonymous": (302, 302),
        "outsider": (404, 404),
        **dict.fromkeys(MANAGERS, (200, 302)),
        **dict.fromkeys(READERS, (403, 403)),
    },
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def make_document(convention, content=None, name="Délibération n°3.pdf", **fields):
    """A file document (a PDF by default) stored as the form would."""
    content = pdf_bytes() if content is None else content
    document = Document(
        convention=convention,
        kind=fields.pop("kind", Document.Kind.DELIBERATION),
        title=fields.pop("title", "Délibération du conseil communautaire"),
        date=fields.pop("date", datetime.date(2024, 3, 14)),
        original_name=name,
        size=len(content),
        content_type="application/pdf",
        **fields,
    )
    document.file.save("ignored", ContentFile(content), save=False)
    document.save()
    return document


@pytest.fixture
def document(seeded):
    return make_document(seeded)


def finish(response):
    """Read a download to its end: the test client then closes its file, as a server does
    (closing the response by hand would also close the test's database connection)."""
    if response.streaming:
        b"".join(response.streaming_content)


def url_of(name, document):
    if name in ("documents:list", "documents:add"):
        return reverse(name, args=[SLUG])
    return reverse(name, args=[SLUG, document.pk])


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, seeded, document, persona, name, method):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = getattr(client, method)(url_of(name, document))
    finish(response)
    get_status, post_status = MATRIX[name][persona]
    assert response.status_code == (get_status if method == "get" else post_status)
    if response.status_code == 302 and persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    deleted = name == "documents:delete" and method == "post" and persona in MANAGERS
    assert Document.objects.filter(pk=document.pk).exists() is not deleted
    assert Document.all_objects.count() == 1  # nothing added by an empty post


def test_matrix_names_every_url_of_the_module():
    assert set(MATRIX) == URL_NAMES


def test_caf_level_people_read_but_do_not_add(client, seeded, document, caf_manager):
    client.force_login(caf_manager)
    assert client.get(url_of("documents:list", document)).status_code == 200
    response = client.get(url_of("documents:download", document))
    finish(response)
    assert response.status_code == 200
    assert client.post(url_of("documents:add", document), {}).status_code == 403


# The list


def test_nav_has_the_documents_tab(client, seeded, elected):
    client.force_login(elected)
    html = client.get(reverse("portal:dashboard", args=[SLUG])).content.decode()
    assert reverse("documents:list", args=[SLUG]) in html


def test_list_shows_documents_and_the_form_to_those_who_add(client, seeded, document, pilot):
    make_document(seeded, title="Bilan 2024", kind=Document.Kind.REVIEW, funding_year=2024)
    client.force_login(pilot)
    response = client.get(reverse("documents:list", args=[SLUG]))
    html = response.content.decode()
    assert "Délibération du conseil communautaire" in html and "Bilan 2024" in html
    assert "Financement 2024" in html and "14/03/2024" in html
    assert "PDF, " in html and "octets" in html
    # A pilot adds to the sheets they pilot only.
    choices = dict(response.context["form"].fields["attached_to"].choices)
    assert "convention" not in choices
    sheets = seeded.action_sheets.filter(number__in=[1, 2, 3, 4]).order_by("number")
    assert [value for value, _label in choices["Fiches actions"]] == [
        f"sheet-{s.pk}" for s in sheets
    ]
    # Not theirs to delete: attached to the convention.
    assert reverse("documents:delete", args=[SLUG, document.pk]) not in html


def test_readers_see_no_form(client, seeded, document, elected):
    client.force_login(elected)
    response = client.get(reverse("documents:list", args=[SLUG]))
    assert response.context["form"] is None
    assert reverse("documents:add", args=[SLUG]) not in response.content.decode()


def test_list_filters_by_kind_and_attachment(client, seeded, coordinator):
    sheet = seeded.action_sheets.get(number=2)
    make_document(seeded, title="Convention signée", kind=Document.Kind.SIGNED_CONVENTION)
    make_document(seeded, title="Compte rendu fiche 2", kind=Document.Kind.MINUTES, sheet=sheet)
    make_document(seeded, title="Justificatif 2024", kind=Document.Kind.VOUCHER, funding_year=2024)
    client.force_login(coordinator)
    url = reverse("documents:list", args=[SLUG])

    def titles(query):
        return [d.title for d in client.get(url, query).context["page"]]

    assert titles({"genre": "minutes"}) == ["Compte rendu fiche 2"]
    assert titles({"rattachement": f"sheet-{sheet.pk}"}) == ["Compte rendu fiche 2"]
    assert titles({"rattachement": "year-2024"}) == ["Justificatif 2024"]
    assert titles({"rattachement": "convention"}) == ["Convention signée"]
    # A forged filter is told and ignored.
    response = client.get(url, {"rattachement": "sheet-999999"})
    assert response.status_code == 200 and len(response.context["page"]) == 3
    assert "Sélectionnez un choix valide" in response.content.decode()


def test_list_is_paginated(client, seeded, coordinator):
    for number in range(queries.PAGE_SIZE + 2):
        make_document(seeded, title=f"Pièce {number}")
    client.force_login(coordinator)
    url = reverse("documents:list", args=[SLUG])
    first = client.get(url)
    assert len(first.context["page"]) == queries.PAGE_SIZE
    assert "Page 1 sur 2" in first.content.decode()
    assert len(client.get(url, {"page": 2}).context["page"]) == 2


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("persona", ["coordinator", "pilot"])
def test_list_queries_do_not_grow(request, client, seeded, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    url = reverse("documents:list", args=[SLUG])
    sheets = list(seeded.action_sheets.order_by("number")[:4])
    meeting = Meeting.objects.create(
        convention=seeded,
        title="COPIL de lancement",
        starts_at=datetime.datetime(2024, 3, 14, 14, 0, tzinfo=PARIS),
    )
    for number in range(3):
        make_document(seeded, title=f"Pièce {number}", sheet=sheets[number % 4])
    make_document(seeded, title="Relevé", meeting=meeting)
    small = count_queries(client, url)
    uploader = UserFactory()
    for number in range(60):
        make_document(
            seeded,
            title=f"Pièce {number}",
            sheet=sheets[number % 4] if number % 3 else None,
            funding_year=2024 if number % 3 == 0 and number % 2 else None,
            uploaded_by=uploader,
        )
        if number % 5 == 0:
            Document.objects.create(
                convention=seeded,
                kind=Document.Kind.OTHER,
                title=f"Lien {number}",
                date=datetime.date(2024, 1, 1),
                url="https://www.caf.fr/",
            )
    assert count_queries(client, url) == small


# Adding


def post_document(client, content=None, name="deliberation.pdf", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "submission": once(),
        "kind": "deliberation",
        "title": "Délibération",
        "date": "2024-03-14",
        "attached_to": "convention",
        **fields,
    }
    if content is not False:
        data["file"] = SimpleUploadedFile(name, pdf_bytes() if content is None else content)
    return client.post(reverse("documents:add", args=[SLUG]), data)


def test_pilot_adds_to_a_sheet_they_pilot(client, seeded, pilot, media):
    sheet = seeded.action_sheets.get(number=3)
    client.force_login(pilot)
    response = post_document(client, attached_to=f"sheet-{sheet.pk}", publishable="on")
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.sheet == sheet and document.publishable
    assert document.history.count() == 1
    assert document.history.get().history_user == pilot


@pytest.mark.parametrize(
    "target", ["convention", "year-2024", "sheet-of-fiche-5", "sheet-of-another-convention"]
)
def test_pilot_cannot_add_elsewhere(client, seeded, pilot, other_convention, media, target):
    if target == "sheet-of-fiche-5":
        target = f"sheet-{seeded.action_sheets.get(number=5).pk}"
    elif target == "sheet-of-another-convention":
        target = f"sheet-{ActionSheetFactory(convention=other_convention).pk}"
    client.force_login(pilot)
    response = post_document(client, attached_to=target)
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Document.all_objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(
    "target", ["year-2030", "year-abc", "sheet-999999", "meeting-999999", "other-1", ""]
)
def test_forged_targets_are_french_errors(client, seeded, coordinator, media, target):
    client.force_login(coordinator)
    response = post_document(client, attached_to=target)
    assert response.status_code == 400
    errors = response.context["form"].errors["attached_to"]
    assert errors[0] in ("Ce champ est obligatoire.",) or "choix valide" in errors[0]
    assert not Document.all_objects.exists() and stored_files(media) == []


def test_coordinator_adds_to_a_year_a_sheet_and_a_meeting(client, seeded, coordinator):
    sheet = seeded.action_sheets.get(number=9)
    meeting = Meeting.objects.create(
        convention=seeded,
        title="COTECH",
        kind=Meeting.Kind.COTECH,
        starts_at=datetime.datetime(2024, 10, 1, 9, 30, tzinfo=PARIS),
    )
    client.force_login(coordinator)
    for target in ("year-2025", f"sheet-{sheet.pk}", f"meeting-{meeting.pk}"):
        assert post_document(client, attached_to=target).status_code == 302
    assert Document.objects.filter(funding_year=2025).count() == 1
    assert sheet.documents.count() == 1 and meeting.documents.count() == 1


def test_a_link_is_added_without_a_file(client, seeded, coordinator, media):
    client.force_login(coordinator)
    response = post_document(client, content=False, url="https://www.caf.fr/diagnostic")
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.is_link and document.url == "https://www.caf.fr/diagnostic"
    assert document.size is None and stored_files(media) == []
    html = client.get(reverse("documents:list", args=[SLUG])).content.decode()
    assert 'href="https://www.caf.fr/diagnostic" rel="noopener noreferrer nofollow"' in html
    # A link is not downloaded through the portal.
    download = reverse("documents:download", args=[SLUG, document.pk])
    assert client.get(download).status_code == 404


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"url": "javascript:alert(1)"}, "url", "http ou https"),
        ({"url": "ftp://example.org/fichier.pdf"}, "url", "http ou https"),
        ({"url": "data:text/html,<script>alert(1)</script>"}, "url", "http ou https"),
        ({"url": "file:///etc/passwd"}, "url", "http ou https"),
    ],
)
def test_links_are_web_addresses_only(client, seeded, coordinator, fields, field, words):
    client.force_login(coordinator)
    response = post_document(client, content=False, **fields)
    assert response.status_code == 400
    assert any(words in error for error in response.context["form"].errors[field])
    assert not Document.all_objects.exists()


def test_a_file_or_a_link_not_both_nor_none(client, seeded, coordinator, media):
    client.force_login(coordinator)
    both = post_document(client, url="https://www.caf.fr/")
    assert both.status_code == 400
    assert "pas les deux" in str(both.context["form"].errors["url"])
    none = post_document(client, content=False)
    assert none.status_code == 400
    assert "Choisissez un fichier" in str(none.context["form"].errors["file"])
    assert not Document.all_objects.exists() and stored_files(media) == []


def test_a_double_submission_adds_once(client, seeded, coordinator, media):
    client.force_login(coordinator)
    token = once()
    first = post_document(client, submission=token)
    second = post_document(client, submission=token)
    assert first.status_code == second.status_code == 302
    assert Document.objects.count() == 1
    assert len(stored_files(media)) == 1  # the replay stored nothing
    messages = [str(m) for m in second.wsgi_request._messages]
    assert any("déjà été ajouté" in message for message in messages)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/conventions/thore-montagne-noire-2023-2025/fiches/4/", "/conventions/{slug}/fiches/4/"),
        ("https://evil.example/", "/conventions/{slug}/documents/"),
        ("//evil.example/", "/conventions/{slug}/documents/"),
        ("/\\evil.example/", "/conventions/{slug}/documents/"),
        ("javascript:alert(1)", "/conventions/{slug}/documents/"),
        ("", "/conventions/{slug}/documents/"),
    ],
)
def test_back_only_to_a_local_page(client, seeded, coordinator, next_url, expected):
    client.force_login(coordinator)
    response = post_document(client, next=next_url)
    assert response.status_code == 302
    assert response["Location"] == expected.format(slug=SLUG)


def test_a_refused_post_from_another_page_keeps_its_way_back(client, seeded, coordinator):
    client.force_login(coordinator)
    back = f"/conventions/{SLUG}/fiches/4/"
    response = post_document(client, content=pdf_bytes(), name="x.xlsx", next=back)
    assert response.status_code == 400
    assert f'value="{back}"' in response.content.decode()


# Download


def test_download_headers(client, seeded, document, elected):
    client.force_login(elected)
    response = client.get(reverse("documents:download", args=[SLUG, document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="Deliberation n_3.pdf"; '
        "filename*=UTF-8''D%C3%A9lib%C3%A9ration%20n%C2%B03.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_download_name_with_quotes_and_control_characters_is_safe(client, seeded, coordinator):
    document = make_document(seeded, name='Bilan "final"\r\nSet-Cookie: x.pdf')
    client.force_login(coordinator)
    response = client.get(reverse("documents:download", args=[SLUG, document.pk]))
    finish(response)
    header = response["Content-Disposition"]
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="Bilan _final_Set-Cookie: x.pdf"; ')


def test_a_document_of_another_convention_is_not_found(
    client, seeded, coordinator, other_convention
):
    theirs = make_document(other_convention)
    client.force_login(coordinator)
    for name in ("documents:download", "documents:delete"):
        assert client.get(reverse(name, args=[SLUG, theirs.pk])).status_code == 404
    assert client.post(reverse("documents:delete", args=[SLUG, theirs.pk])).status_code == 404
    assert Document.objects.filter(pk=theirs.pk).exists()


def test_files_are_never_served_from_a_public_address(client, seeded, document, coordinator):
    client.force_login(coordinator)
    from django.conf import settings

    assert not settings.MEDIA_URL or settings.MEDIA_URL == "/"
    for address in (f"/{document.file.name}", f"/media/{document.file.name}"):
        assert client.get(address).status_code == 404
    assert str(settings.MEDIA_ROOT) not in str(settings.STATICFILES_DIRS)


def test_a_missing_file_is_a_404_not_a_500(client, seeded, document, coordinator):
    document.file.storage.delete(document.file.name)
    client.force_login(coordinator)
    assert client.get(reverse("documents:download", args=[SLUG, document.pk])).status_code == 404


# Deletion


def test_delete_is_soft_and_kept_in_history(client, seeded, document, coordinator, media):
    client.force_login(coordinator)
    url = reverse("documents:delete", args=[SLUG, document.pk])
    page = client.get(url)
    assert "Supprimer le document « Délibération du conseil communautaire » ?" in (
        page.content.decode().replace("\u00a0", " ")
    )
    response = client.post(url)
    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    kept = Document.all_objects.get(pk=document.pk)
    assert kept.deleted_by == coordinator and kept.deleted_at is not None
    assert stored_files(media) == [kept.file.name]  # the file stays, for a restore
    assert [record.deleted_at is not None for record in kept.history.all()] == [True, False]
    assert client.get(reverse("documents:download", args=[SLUG, document.pk])).status_code == 404
    list_html = client.get(reverse("documents:list", args=[SLUG])).content.decode()
    assert "Délibération du conseil communautaire" not in list_html
    again = client.post(url)
    assert again.status_code == 302
    assert any("déjà été supprimé" in str(m) for m in again.wsgi_request._messages)


def test_pilot_deletes_the_documents_of_their_sheets_only(client, seeded, pilot):
    theirs = make_document(seeded, sheet=seeded.action_sheets.get(number=1))
    other = make_document(seeded, sheet=seeded.action_sheets.get(number=5))
    client.force_login(pilot)
    assert client.post(reverse("documents:delete", args=[SLUG, theirs.pk])).status_code == 302
    assert client.post(reverse("documents:delete", args=[SLUG, other.pk])).status_code == 403
    assert Document.objects.filter(pk=other.pk).exists()


def test_admin_shows_deleted_documents_and_restores_them(client, seeded, document, superuser):
    from documents import services

    services.delete_document(document, superuser)
    client.force_login(superuser)
    changelist = reverse("admin:documents_document_changelist")
    response = client.get(changelist, {"supprime": "oui"})
    assert response.context["cl"].result_count == 1
    response = client.post(
        changelist,
        {"action": "restore", "_selected_action": [document.pk]},
        follow=True,
    )
    assert "1 document restauré." in response.content.decode()
    assert Document.objects.filter(pk=document.pk).exists()
    change = client.get(reverse("admin:documents_document_change", args=[document.pk]))
    html = change.content.decode()
    assert "<h1>Modifier le document</h1>" in html
    assert reverse("documents:download", args=[SLUG, document.pk]) in html
    assert client.get(reverse("admin:documents_document_add")).status_code == 403


def test_admin_keeps_a_sheet_within_the_convention(client, seeded, document, superuser):
    from documents.admin import DocumentAdmin

    admin = DocumentAdmin(Document, None)
    choices = admin.convention_choices(seeded, document)
    assert set(choices["sheet"]) == set(seeded.action_sheets.all())


# The model's guards


def test_model_refuses_a_sheet_or_meeting_of_another_convention_and_a_year_outside(
    seeded, other_convention
):
    from django.core.exceptions import ValidationError

    meeting = Meeting.objects.create(
        convention=other_convention,
        title="COPIL",
        starts_at=datetime.datetime(2024, 3, 14, 14, 0, tzinfo=PARIS),
    )
    cases = {
        "sheet": {"sheet": ActionSheetFactory(convention=other_convention)},
        "meeting": {"meeting": meeting},
        "funding_year": {"funding_year": 2026},
    }
    for field, attachment in cases.items():
        document = Document(
            convention=seeded, title="x", date=datetime.date(2024, 1, 1), url="https://a.fr/"
        )
        for name, value in attachment.items():
            setattr(document, name, value)
        with pytest.raises(ValidationError) as refused:
            document.full_clean()
        assert field in refused.value.message_dict


def test_database_refuses_a_file_and_a_link_or_two_attachments(seeded, document):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(url="https://www.caf.fr/")
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(file="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(
            sheet=seeded.action_sheets.first(), funding_year=2024
        )


def test_a_failed_insert_leaves_no_file(seeded, coordinator, media, monkeypatch):
    """Should the database refuse the row once the file is written, the file is removed."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import IntegrityError

    from documents import services
    from documents.forms import DocumentForm

    request = RequestFactory().get("/")
    request.user = coordinator
    access = get_convention_access_or_404(request, SLUG)
    form = DocumentForm(
        {
            "submission": once(),
            "kind": "other",
            "title": "Pièce",
            "date": "2024-01-01",
            "attached_to": "convention",
        },
        {"file": SimpleUploadedFile("piece.xlsx", xlsx_bytes())},
        access=access,
    )
    assert form.is_valid(), form.errors

    def refuse(*args, **kwargs):
        raise IntegrityError("refused")

    monkeypatch.setattr(Document.history.model, "save", refuse)  # fails after the insert
    monkeypatch.setattr("simple_history.models.HistoricalRecords.create_historical_record", refuse)
    with pytest.raises(IntegrityError):
        services.add_document(form, coordinator)
    assert stored_files(media) == []
    assert not Document.all_objects.exists()


# The include for the sheet, meeting and funding pages


def render_attached(user, **target):
    request = RequestFactory().get(f"/conventions/{SLUG}/fiches/1/")
    request.user = user
    access = get_convention_access_or_404(request, SLUG)
    attached = queries.attached(access, next_url=request.path, **target)
    return attached, render_to_string(
        "documents/includes/attached.html", {"attached": attached}, request=request
    )


def test_include_lists_a_sheets_documents_and_its_form(seeded, pilot, elected):
    sheet = seeded.action_sheets.get(number=1)
    make_document(seeded, title="Compte rendu de l’atelier", sheet=sheet)
    make_document(seeded, title="Autre pièce")
    attached, html = render_attached(pilot, sheet=sheet)
    assert [d.title for d in attached.documents] == ["Compte rendu de l’atelier"]
    assert "Autre pièce" not in html
    assert f'name="attached_to" value="sheet-{sheet.pk}"' in html
    assert f'name="next" value="/conventions/{SLUG}/fiches/1/"' in html
    assert "Rattaché à" in html and "1. " in html
    assert re.search(r"<summary>\s*Ajouter un document", html)
    # An elected official reads; a pilot of another sheet gets no form.
    attached, html = render_attached(elected, sheet=sheet)
    assert attached.form is None and "<form" not in html
    attached, _html = render_attached(pilot, sheet=seeded.action_sheets.get(number=5))
    assert attached.form is None


def test_include_for_a_funding_year_and_a_meeting(seeded, coordinator):
    make_document(seeded, title="Justificatif 2024", funding_year=2024)
    meeting = Meeting.objects.create(
        convention=seeded,
        title="COPIL",
        starts_at=datetime.datetime(2024, 3, 14, 14, 0, tzinfo=PARIS),
    )
    make_document(seeded, title="Relevé du COPIL", meeting=meeting)
    attached, html = render_attached(coordinator, funding_year=2024)
    assert [d.title for d in attached.documents] == ["Justificatif 2024"]
    assert 'value="year-2024"' in html
    attached, html = render_attached(coordinator, meeting=meeting)
    assert [d.title for d in attached.documents] == ["Relevé du COPIL"]
    assert f'value="meeting-{meeting.pk}"' in html


def test_documents_are_files_on_disk_only_under_media_root(seeded, document, media):
    path = document.file.path
    assert os.path.commonpath([path, str(media)]) == str(media)
