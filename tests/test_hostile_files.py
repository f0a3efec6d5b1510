"""Hostile spreadsheets written by hand, as small as those of issue 11 (a few kilobytes that
declare 16 384 columns or hold 200 000 rows): each is answered at once, in French.
Time and memory are measured by bench/hostile_imports.py, not asserted here."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bench.hostile_imports import crafted_xlsx

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"


def upload(client, content):
    return client.post(
        reverse("funding:import", args=[SLUG]),
        {"file": SimpleUploadedFile("hostile.xlsx", content)},
    )


def test_2000_rows_declaring_16384_columns_are_previewed(client, caf_staff, seeded):
    content = crafted_xlsx(2000, "A1:XFD2002")
    assert len(content) < 5 * 1024
    client.force_login(caf_staff)
    response = upload(client, content)
    # Every row is read, on six columns: 2 000 lines named "x" (the same label: refused).
    preview = response.context["preview"]
    assert len(preview.rows) == 2000
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("rows", "dimension"), [(20_000, "A1:XFD20002"), (200_000, None)], ids=["20000", "200000"]
)
def test_too_many_rows_are_refused_in_french(client, caf_staff, seeded, rows, dimension):
    content = crafted_xlsx(rows, dimension)
    assert len(content) < 40 * 1024
    client.force_login(caf_staff)
    response = upload(client, content)
    assert response.status_code == 400
    html = response.content.decode()
    assert "découpez-le" in html
    assert response.context["preview"] is None or not response.context["preview"].rows
