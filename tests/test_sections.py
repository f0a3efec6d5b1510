"""What the steering and the documents add to the pages of the domains below them
(ctg_portal.sections, registered by portal/sections.py): a sheet's meetings, decisions and
documents on its page, a meeting's documents on its page, a year's documents on the funding
page — with who may add one there, and each page's queries fixed whatever their number."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from committees.models import AgendaItem, Decision, Meeting
from ctg_portal import sections
from documents.models import Document

from .factories import UserFactory
from .helpers import once
from .test_committees import PARIS, make_meeting, text
from .test_documents import make_document
from .test_documents_files import pdf_bytes

SLUG = "thore-montagne-noire-2023-2025"
SHEET = reverse("actions:detail", args=[SLUG, 1])
FUNDING = reverse("funding:table", args=[SLUG])
FROZEN = datetime.datetime(2025, 6, 2, 9, 0, tzinfo=PARIS)


def sheet_of(convention, number):
    return convention.action_sheets.get(number=number)


def discuss(meeting, *sheets, title="Point d’étape"):
    item = AgendaItem.objects.create(
        meeting=meeting, position=meeting.agenda_items.count() + 1, title=title
    )
    item.sheets.add(*sheets)
    return item


def decide(meeting, *sheets, **fields):
    decision = Decision.objects.create(
        meeting=meeting, text=fields.pop("text", "Relancer"), **fields
    )
    decision.sheets.add(*sheets)
    return decision


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@time_machine.travel(FROZEN, tick=False)
def test_sheet_page_shows_its_meetings_and_decisions_overdue_flagged(
    client, seeded, coordinator, elected
):
    sheet, other = sheet_of(seeded, 1), sheet_of(seeded, 2)
    copil = make_meeting(seeded, starts_at=datetime.datetime(2025, 3, 14, 10, tzinfo=PARIS))
    cotech = make_meeting(
        seeded,
        kind=Meeting.Kind.COTECH,
        title="COTECH de l’automne",
        starts_at=datetime.datetime(2025, 10, 2, 14, tzinfo=PARIS),
    )
    elsewhere = make_meeting(
        seeded, title="COPIL sans la fiche", starts_at=datetime.datetime(2024, 3, 1, tzinfo=PARIS)
    )
    discuss(copil, sheet, other)
    discuss(cotech, sheet)
    discuss(elsewhere, other)
    coordinator.first_name, coordinator.last_name = "Claire", "Vidal"
    coordinator.save()
    overdue = decide(
        copil,
        sheet,
        text="Recruter un animateur",
        owner=coordinator,
        due_on=datetime.date(2025, 5, 1),
    )
    decide(copil, sheet, text="Ouvrir le samedi", due_on=datetime.date(2025, 9, 1))
    decide(
        copil,
        sheet,
        text="Étude abandonnée",
        state=Decision.State.ABANDONED,
        due_on=datetime.date(2025, 1, 1),
    )
    decide(elsewhere, other, text="Décision d’une autre fiche")

    client.force_login(elected)
    page = text(client.get(SHEET))
    steering = page[page.index("Instances et décisions") :]
    # The meetings that discussed it, the latest first; not the one that did not.
    assert steering.index("COTECH du 02/10/2025") < steering.index("COPIL du 14/03/2025")
    assert "COTECH de l’automne" in steering and "à venir" in steering
    assert "COPIL sans la fiche" not in steering
    # Its decisions: open ones first, the overdue one flagged (text, not colour only).
    assert "1 décision ouverte sur cette fiche a dépassé son échéance." in steering
    decisions = steering[steering.index("Recruter") :]
    assert decisions.index("Recruter un animateur") < decisions.index("Ouvrir le samedi")
    assert decisions.index("Ouvrir le samedi") < decisions.index("Étude abandonnée")
    assert "Décision d’une autre fiche" not in steering
    block = page[page.index(f'id="sheet-decision-{overdue.pk}"') :]
    block = block[: block.index("</li>")]
    assert "échue" in block and "Claire Vidal" in block and "01/05/2025" in block
    meeting_url = reverse("committees:detail", args=[SLUG, copil.pk])
    assert f'href="{meeting_url}#decision-{overdue.pk}"' in block


def test_a_sheet_without_steering_says_so(client, seeded, elected):
    client.force_login(elected)
    page = text(client.get(SHEET))
    assert "Aucune instance n’a encore inscrit cette fiche à son ordre du jour." in page
    assert "Aucune décision ne concerne encore cette fiche." in page
    assert "dépassé son échéance" not in page


def test_a_decision_recorded_in_committee_appears_on_the_sheet_page(client, seeded, coordinator):
    """Through the pages: recorded on the meeting, read on the sheet, its status changed."""
    meeting = make_meeting(seeded)
    sheet = sheet_of(seeded, 1)
    discuss(meeting, sheet)
    client.force_login(coordinator)
    versions = ",".join(
        f"{pk}:{version}" for pk, version in seeded.action_sheets.values_list("pk", "version")
    )
    response = client.post(
        reverse("committees:decision_add", args=[SLUG, meeting.pk]),
        {
            "text": "Suspendre l’action jusqu’à la rentrée.",
            "sheets": [sheet.pk],
            "owner": "",
            "due_on": "",
            "new_status": "paused",
            "pilot_to_add": "",
            "new_planned_start": "",
            "new_planned_end": "",
            "sheet_versions": versions,
            "submission": once(),
        },
    )
    assert response.status_code == 302
    page = text(client.get(SHEET))
    assert "Suspendre l’action jusqu’à la rentrée." in page
    assert "décision du COPIL du 14/03/2025" in page  # the history's reason


def test_sheet_page_documents_and_who_adds_there(client, seeded, pilot, elected, coordinator):
    sheet = sheet_of(seeded, 1)
    document = make_document(seeded, title="Compte rendu de l’atelier", sheet=sheet)
    make_document(seeded, title="Pièce d’une autre fiche", sheet=sheet_of(seeded, 2))
    download = reverse("documents:download", args=[SLUG, document.pk])
    client.force_login(elected)
    page = text(client.get(SHEET))
    assert f'href="{download}"' in page and "Compte rendu de l’atelier" in page
    assert "Pièce d’une autre fiche" not in page
    assert 'name="attached_to"' not in page  # a reader adds nothing
    # Its pilot adds one from the sheet page and comes back to it.
    client.force_login(pilot)
    page = text(client.get(SHEET))
    assert f'name="attached_to" value="sheet-{sheet.pk}"' in page
    response = client.post(
        reverse("documents:add", args=[SLUG]),
        {
            "kind": Document.Kind.MINUTES,
            "title": "Photos de l’atelier",
            "date": "14/03/2025",
            "attached_to": f"sheet-{sheet.pk}",
            "file": pdf_upload(),
            "url": "",
            "next": SHEET,
            "submission": once(),
        },
    )
    assert response.status_code == 302 and response["Location"] == SHEET
    assert "Photos de l’atelier" in text(client.get(SHEET))
    # Not on a sheet they do not pilot.
    assert 'name="attached_to"' not in text(client.get(reverse("actions:detail", args=[SLUG, 9])))


def pdf_upload(name="photos.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def test_meeting_page_shows_its_documents(client, seeded, coordinator, elected):
    meeting = make_meeting(seeded)
    make_document(seeded, title="Relevé de décisions signé", meeting=meeting)
    make_document(seeded, title="Délibération sans instance")
    url = reverse("committees:detail", args=[SLUG, meeting.pk])
    client.force_login(elected)
    page = text(client.get(url))
    assert "Relevé de décisions signé" in page and "Délibération sans instance" not in page
    assert 'name="attached_to"' not in page
    client.force_login(coordinator)
    page = text(client.get(url))
    assert f'name="attached_to" value="meeting-{meeting.pk}"' in page
    assert f'name="next" value="{url}"' in page


def test_funding_page_shows_the_documents_of_its_year(client, seeded, caf_staff, coordinator):
    make_document(seeded, title="Justificatif 2024", funding_year=2024)
    make_document(seeded, title="Justificatif 2025", funding_year=2025)
    client.force_login(caf_staff)
    page = text(client.get(FUNDING + "?annee=2024"))
    assert "Documents de 2024" in page
    assert "Justificatif 2024" in page and "Justificatif 2025" not in page
    client.force_login(coordinator)
    page = text(client.get(FUNDING + "?annee=2025"))
    assert "Justificatif 2025" in page and "Justificatif 2024" not in page
    assert 'name="attached_to" value="year-2025"' in page
    assert re.search(r'name="next" value="[^"]*annee=2025', page)


def fill(convention, count, owner):
    """`count` meetings naming sheet 1 with a decision each, and as many documents on the
    sheet, on a meeting and on the year 2024."""
    sheet = sheet_of(convention, 1)
    meeting = None
    for index in range(count):
        meeting = make_meeting(
            convention,
            starts_at=datetime.datetime(2024, 1, 1, 9, tzinfo=PARIS) + datetime.timedelta(index),
        )
        discuss(meeting, sheet)
        decide(meeting, sheet, owner=owner, due_on=datetime.date(2024, 6, 1))
        make_document(convention, content=b"%PDF-1.4 x", title=f"Pièce {index}", sheet=sheet)
        make_document(convention, content=b"%PDF-1.4 x", meeting=meeting)
        make_document(convention, content=b"%PDF-1.4 x", funding_year=2024)
    return meeting


@pytest.mark.parametrize("persona", ["elected", "coordinator", "pilot"])
def test_section_queries_do_not_grow(request, client, seeded, coordinator, persona):
    client.force_login(request.getfixturevalue(persona))
    owner = UserFactory()
    meeting = fill(seeded, 3, owner)
    urls = [SHEET, FUNDING + "?annee=2024"]
    small = [count_queries(client, url) for url in urls]
    small_meeting = count_queries(client, reverse("committees:detail", args=[SLUG, meeting.pk]))
    last = fill(seeded, 60, owner)
    assert [count_queries(client, url) for url in urls] == small
    assert (
        count_queries(client, reverse("committees:detail", args=[SLUG, last.pk])) == small_meeting
    )


def test_places_are_checked():
    with pytest.raises(ValueError, match="Unknown place"):
        sections.register("nowhere", lambda request, access: None)
    with pytest.raises(TypeError, match="takes sheet"):
        sections.sections_of("sheet", None, None, meeting=None)


def test_a_provider_registered_twice_is_there_once():
    def provider(request, access, *, year):
        return None

    try:
        sections.register("funding_year", provider, order=5)
        sections.register("funding_year", provider, order=5)
        entries = [entry for entry in sections._providers["funding_year"] if entry[1] is provider]
        assert len(entries) == 1
    finally:
        sections._providers["funding_year"] = [
            entry for entry in sections._providers["funding_year"] if entry[1] is not provider
        ]
