"""CAF staff's funding table in a real browser: read, download the XLSX, stay accessible."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"


def test_caf_staff_downloads_the_xlsx(login, page, portal, caf_staff, assert_accessible):
    login("caf")
    page.goto(f"{portal}/conventions/{SLUG}/")
    page.get_by_role("link", name="Financements", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Financements")
    expect(page.locator("#funding-table tfoot .grand-total")).to_contain_text("725\u00a0403\u00a0€")
    assert_accessible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger XLSX").click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"financements-{SLUG}-")
    with open(download.path(), "rb") as downloaded:
        workbook = load_workbook(io.BytesIO(downloaded.read()), data_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    column = rows[0].index(2025)
    total = next(r for r in rows if r[0] == "Total (tous financeurs)")
    assert total[column] == 241801

    page.goto(f"{portal}/conventions/{SLUG}/financements/montants/")
    expect(page.locator("h1")).to_have_text("Modifier les montants prévus")
    assert_accessible()
    page.goto(f"{portal}/conventions/{SLUG}/financements/import/")
    assert_accessible()
