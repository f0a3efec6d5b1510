"""A visitor of a public convention finds its open data: the page passes axe and the Nu checker
at a phone's and a desktop's width, and fiches.csv downloads."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"


def test_a_visitor_follows_the_open_data_link_and_downloads_the_sheets(
    page, portal, seeded, check_page
):
    seeded.is_public = True
    seeded.save()
    page.goto(f"{portal}/public/{SLUG}/")
    page.get_by_role("link", name="Données ouvertes").click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Données ouvertes")
    expect(page.get_by_role("link", name="Licence Ouverte / Etalab 2.0")).to_be_visible()
    expect(page.locator("#validate-command")).to_contain_text(
        f"frictionless validate {portal}/public/{SLUG}/donnees/datapackage.json"
    )
    check_page()

    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger fiches.csv").click()
    download = info.value
    assert download.suggested_filename == "fiches.csv"
    text = download.path().read_bytes().decode("utf-8")
    sheets = list(csv.DictReader(io.StringIO(text)))
    assert len(sheets) == 16
    assert re.fullmatch(r"\d+", sheets[0]["avancement"])
