"""One matching rule for funding lines, the same on SQLite and PostgreSQL: a line's key is its
label without accents, case or extra spaces, unique in its convention (issue 11, item 7)."""

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from funding.models import FundingLine

from .test_write_safety import SLUG, preview

pytestmark = pytest.mark.django_db


def test_the_key_folds_accents_case_and_spaces(seeded):
    line = seeded.funding_lines.get(label="Passerelle")
    line.label = "  Équipe   PASSERELLE "
    line.save()
    assert line.key == "equipe passerelle"


def test_an_import_updates_the_line_whatever_its_accents_and_case(client, caf_staff, seeded):
    line = seeded.funding_lines.get(label="Passerelle")
    line.label = "Équipe Passerelle"
    line.save()
    client.force_login(caf_staff)
    token = preview(client, ["EQUIPE  passerelle;Passerelle;;CAF du Tarn;CAF;34000;35000;34000"])
    response = client.post(reverse("funding:import_confirm", args=[SLUG]), {"token": token})
    assert response.status_code == 302
    assert FundingLine.objects.filter(convention=seeded, key="equipe passerelle").count() == 1


def test_two_rows_of_one_line_in_a_file_are_refused(client, caf_staff, seeded):
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = "Ligne de financement;Structure;Catégorie;Financeur;Part;2023"
    rows = ["Crèche nouvelle;;;CAF du Tarn;CAF;1000", "CRECHE  Nouvelle;;;CAF du Tarn;CAF;2000"]
    content = ("\r\n".join([header, *rows]) + "\r\n").encode()
    client.force_login(caf_staff)
    response = client.post(
        reverse("funding:import", args=[SLUG]), {"file": SimpleUploadedFile("f.csv", content)}
    )
    assert response.status_code == 400
    assert "Cette ligne figure deux fois dans le fichier" in response.content.decode()


def test_a_line_differing_only_by_accents_is_a_french_form_error_in_the_admin(seeded, superuser):
    admin = site._registry[FundingLine]
    existing = seeded.funding_lines.get(label="Passerelle")
    request = RequestFactory().get("/")
    request.user = superuser
    form_class = admin.get_form(request, None)
    form = form_class(
        data={
            "convention": seeded.pk,
            "label": "PASSERELLE",
            "category": existing.category,
            "funder": existing.funder_id,
            "position": 99,
        }
    )
    assert not form.is_valid()
    assert "déjà une ligne de financement de ce libellé" in str(form.errors["label"])


def test_a_structure_that_lines_use_stays(seeded):
    from django.db.models import RestrictedError

    from funding.models import Structure

    structure = Structure.objects.filter(convention=seeded).first()
    assert structure is not None
    with pytest.raises(RestrictedError):
        structure.delete()  # a structure that lines use stays
