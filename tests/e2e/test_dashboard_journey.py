"""The elected official's dashboard in a real browser: read, click through, print on A4."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"


def test_elected_reads_dashboard_and_prints_it(login, page, portal, elected, assert_accessible):
    login("elu")
    page.get_by_role("link", name=re.compile("Thoré Montagne Noire")).first.click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Tableau de bord")
    expect(page.locator("#figure-sheets")).to_have_text("16")
    expect(page.locator("#figure-caf-total")).to_have_text("725\u00a0403\u00a0€")
    assert_accessible()

    pdf = page.pdf(format="A4")
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    assert len(pages) >= 2  # the sections break onto pages
    boxes = [
        [float(n) for n in m.split()] for m in re.findall(rb"/MediaBox\s*\[\s*([\d.\s]+)\]", pdf)
    ]
    assert boxes
    for _x, _y, width, height in boxes:  # A4: 595.3 × 841.9 points (210 × 297 mm)
        assert abs(width - 595.3) < 1.5 and abs(height - 841.9) < 1.5

    page.get_by_role("link", name=re.compile("^Objectif 5")).first.click()
    page.wait_for_load_state()
    assert "objectif=" in page.url
    expect(page.locator("h1")).to_have_text("Fiches actions")
    expect(page.locator("table.sheet-table tbody tr")).to_have_count(4)


def test_public_page_and_overview_are_accessible(
    page, portal, seeded, login, superuser, assert_accessible
):
    seeded.is_public = True
    seeded.save()
    page.goto(f"{portal}/public/{SLUG}/")
    expect(page.locator("h1")).to_contain_text("Thoré Montagne Noire")
    assert_accessible()
    login("admin")
    page.goto(f"{portal}/conventions/")
    expect(page.locator("h1")).to_have_text("Vue d’ensemble des conventions")
    assert_accessible()
