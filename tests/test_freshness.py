"""Every page shows every kind of edit at once.

Pages are built from the database on each request (no page cache: docs/architecture.md). These
tests read a page, change the data the way users and operators do (forms, quick forms, the
reverse side of a many-to-many link, the admin, loaddata, an import, a restore), and read it
again. They stay as the guard of any cache added later.
"""

import io
import pathlib
import tempfile
from decimal import Decimal

import pytest
from django.core import serializers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from actions.models import ActionSheet
from conventions.models import Convention, Membership, Partner
from funding.models import FundingLine

from .factories import ConventionFactory, MembershipFactory, StepFactory
from .helpers import once, sheet_edit_payload

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
NBSP = "\u00a0"


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode().replace("&nbsp;", NBSP)


@pytest.fixture
def editor(client, coordinator):
    """A second browser, for the coordinator who edits while the first one reads."""
    from django.test import Client

    other = Client()
    other.force_login(coordinator)
    return other


def test_pages_follow_reverse_many_to_many_admin_and_loaddata(client, elected, seeded, superuser):
    """Changes made from the other side of a link, by the admin or by loaddata show at once."""
    client.force_login(elected)
    sheet = seeded.action_sheets.get(number=4)
    url = reverse("actions:detail", args=[SLUG, 4])
    domain = seeded.domains.get(name="Jeunesse")
    assert domain.name not in page(client, url).split("Domaines")[1].split("</dd>")[0]
    domain.action_sheets.add(sheet)  # the reverse side of ActionSheet.domains
    assert domain.name in page(client, url).split("Domaines")[1].split("</dd>")[0]
    elected.piloted_sheets.add(sheet)  # the reverse side of ActionSheet.pilots
    assert elected.get_full_name() in page(client, url)

    admin = Client()
    admin.force_login(superuser)
    change = reverse("admin:conventions_convention_change", args=[seeded.pk])
    response = admin.get(change)
    assert response.status_code == 200
    dashboard = reverse("portal:dashboard", args=[SLUG])
    assert "Territoire renommé" not in page(client, dashboard)
    Convention.objects.filter(pk=seeded.pk).update(territory="Territoire renommé")
    assert "Territoire renommé" in page(client, dashboard)

    fixture = serializers.serialize(
        "json",
        [
            ActionSheet(
                **{
                    **model_to_dict(
                        sheet,
                        exclude=[
                            "id",
                            "domains",
                            "pilots",
                            "partners",
                            "communes",
                            "convention",
                            "objective",
                            "lead_partner",
                        ],
                    ),
                    "convention_id": seeded.pk,
                    "objective_id": sheet.objective_id,
                    "number": 4,
                    "id": sheet.pk,
                    "title": "Titre chargé par loaddata",
                }
            )
        ],
    )
    path = pathlib.Path(tempfile.mkdtemp()) / "fiche.json"
    path.write_text(fixture)
    call_command("loaddata", str(path), stdout=io.StringIO())
    assert "Titre chargé par loaddata" in page(client, url)


def test_dashboard_follows_edits(client, elected, editor, seeded):
    url = reverse("portal:dashboard", args=[SLUG])
    client.force_login(elected)
    assert 'id="figure-progress">0' in page(client, url)
    sheet = seeded.action_sheets.get(number=4)
    editor.post(
        reverse("actions:note_add", args=[SLUG, 4]),
        {
            "text": "Démarrage",
            "written_on": "2024-03-12",
            "status": "in_progress",
            "progress": "32",
            "version": sheet.version,
            "submission": once(),
        },
    )
    html = page(client, url)
    assert 'id="figure-progress">2' in html  # 32 / 16 sheets
    assert "Démarrage" in html
    caf = Partner.objects.get(kind="caf")
    caf.name = "Caisse d’allocations familiales du Tarn"
    caf.save()
    assert "Caisse d’allocations familiales du Tarn" in page(client, url)


def test_sheet_list_follows_edits(client, elected, editor, seeded):
    url = reverse("actions:list", args=[SLUG])
    client.force_login(elected)
    assert "Nouvel intitulé" not in page(client, url)
    sheet = seeded.action_sheets.get(number=4)
    editor.post(
        reverse("actions:edit", args=[SLUG, 4]),
        sheet_edit_payload(sheet, title="Nouvel intitulé de la fiche 4"),
    )
    assert "Nouvel intitulé de la fiche 4" in page(client, url)
    editor.post(reverse("actions:archive", args=[SLUG, 4]), {"action": "archive"})
    assert "Nouvel intitulé de la fiche 4" not in page(client, url)
    # The same page with other filters is another fragment.
    assert "fiche-5" in page(client, url + "?q=parentalit%C3%A9")


def test_sheet_page_follows_quick_forms(client, elected, editor, seeded, coordinator):
    sheet = seeded.action_sheets.get(number=4)
    step = StepFactory(sheet=sheet, title="Réunion des directeurs")
    from .factories import IndicatorFactory

    indicator = IndicatorFactory(sheet=sheet, label="Familles")
    url = reverse("actions:detail", args=[SLUG, 4])
    client.force_login(elected)
    html = page(client, url)
    assert "réalisée le 01/02/2024" not in html
    editor.post(reverse("actions:step_done", args=[SLUG, 4, step.pk]), {"done_on": "2024-02-01"})
    editor.post(
        reverse("actions:value_add", args=[SLUG, 4, indicator.pk]),
        {f"value-{indicator.pk}-measured_on": "2024-06-30", f"value-{indicator.pk}-value": "17"},
    )
    editor.post(
        reverse("actions:note_add", args=[SLUG, 4]),
        {
            "text": "Note après mise en cache",
            "written_on": "2024-03-12",
            "version": 2,
            "submission": once(),
        },
    )
    coordinator.first_name, coordinator.last_name = "Camille", "Renommée"
    coordinator.save()
    html = page(client, url)
    assert "réalisée le 01/02/2024" in html
    assert "30/06/2024" in html and ">17<" in html
    assert "Note après mise en cache" in html
    assert "Camille Renommée" in html  # names in notes and history follow a rename


def test_editors_never_get_cached_forms(client, coordinator, pilot, seeded):
    sheet = seeded.action_sheets.get(number=4)
    StepFactory(sheet=sheet)
    url = reverse("actions:detail", args=[SLUG, 4])
    client.force_login(pilot)
    first = page(client, url)
    client.force_login(coordinator)  # another session, another CSRF secret
    second = page(client, url)
    token = client.cookies["csrftoken"].value
    assert "csrfmiddlewaretoken" in second and first != second
    import re

    for masked in re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', second):
        from django.middleware.csrf import _unmask_cipher_token

        assert _unmask_cipher_token(masked) == token


def test_funding_follows_payments_amounts_and_imports(client, elected, seeded, caf_staff):
    from django.test import Client

    manager = Client()
    manager.force_login(caf_staff)
    url = reverse("funding:table", args=[SLUG]) + "?annee=2024"
    client.force_login(elected)
    assert f"725{NBSP}403{NBSP}€" in page(client, url)
    line = FundingLine.objects.get(convention=seeded, label="Passerelle")
    manager.post(
        reverse("funding:payment_add", args=[SLUG]),
        {
            "line": line.pk,
            "year": 2024,
            "amount": "11900",
            "paid_on": "2024-03-15",
            "kind": "advance",
            "submission": once(),
        },
    )
    assert f"11{NBSP}900{NBSP}€" in page(client, url)
    form = manager.get(reverse("funding:amounts", args=[SLUG])).context["form"]
    data = {n: ("" if form[n].value() is None else str(form[n].value())) for n in form.fields}
    data[f"amount-{line.pk}-2025"] = "35000"
    assert manager.post(reverse("funding:amounts", args=[SLUG]), data).status_code == 302
    assert f"726{NBSP}403{NBSP}€" in page(client, url)
    content = b"Ligne de financement;Financeur;2024\r\nNouvelle ligne;CAF du Tarn;1000\r\n"
    response = manager.post(
        reverse("funding:import", args=[SLUG]), {"file": SimpleUploadedFile("a.csv", content)}
    )
    manager.post(
        reverse("funding:import_confirm", args=[SLUG]), {"token": response.context["token"]}
    )
    assert "Nouvelle ligne" in page(client, url)
    # The exports follow too.
    export = b"".join(client.get(reverse("funding:export", args=[SLUG, "csv"])).streaming_content)
    assert b"Nouvelle ligne" in export
    line.label = "Passerelle (renommée)"
    line.save()
    export = client.get(reverse("funding:export", args=[SLUG, "csv"]))
    body = (
        export.content
        if hasattr(export, "content") and not export.streaming
        else b"".join(export.streaming_content)
    )
    assert "Passerelle (renommée)".encode() in body


def test_overview_follows_edits_and_memberships(client, seeded, caf_staff):
    url = reverse("portal:overview")
    client.force_login(caf_staff)
    assert "CTG de la Vallée" not in page(client, url)
    other = ConventionFactory(title="CTG de la Vallée")
    MembershipFactory(user=caf_staff, convention=other, role=Membership.Role.CAF_STAFF)
    assert "CTG de la Vallée" in page(client, url)
    amount = seeded.funding_lines.first().amounts.get(year=2023)
    amount.planned += Decimal("1")
    amount.save()
    assert f"725{NBSP}404{NBSP}€" in page(client, url)


def test_public_page_follows_publication(client, seeded, coordinator):
    from .factories import ProgressNoteFactory

    seeded.is_public = True
    seeded.save()
    url = reverse("portal:public", args=[SLUG])
    note = ProgressNoteFactory(sheet=seeded.action_sheets.get(number=1), text="Bientôt publique")
    assert "Bientôt publique" not in page(client, url)
    note.is_public = True
    note.save()
    assert "Bientôt publique" in page(client, url)
    seeded.is_public = False
    seeded.save()
    assert client.get(url).status_code == 404
