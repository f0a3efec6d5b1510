"""The XLSX and ODS exports open finished: widths, number formats, a bold frozen filtered
header, landscape pages one page wide, totals as formulas carrying their values."""

import csv
import datetime
import io
import shutil
import subprocess
import zoneinfo
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from odf import opendocument
from odf.namespaces import FONS, OFFICENS, STYLENS, TABLENS
from odf.table import Table
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ctg_portal.exports import ODS_CHARACTER_CM, euro_width
from funding.models import FundingAmount, FundingLine, Payment

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(datetime.datetime(2025, 6, 2, 10, 0, tzinfo=PARIS), tick=False),
]

SLUG = "thore-montagne-noire-2023-2025"
PER_YEAR = 241801
ALL_YEARS = 725403


def funding_export(client, fmt):
    return client.get(reverse("funding:export", args=[SLUG, fmt])).content


def sheets_export(client, fmt):
    return client.get(reverse("actions:export", args=[SLUG, fmt])).content


def pay(seeded, label, year, amount, cancelled=False):
    funding_amount = FundingAmount.objects.get(
        line__convention=seeded, line__label=label, year=year
    )
    return Payment.objects.create(
        funding_amount=funding_amount,
        amount=Decimal(amount),
        paid_on=datetime.date(year, 6, 1),
        cancelled_at=datetime.datetime(2025, 1, 1, tzinfo=PARIS) if cancelled else None,
        cancel_reason="saisi deux fois" if cancelled else "",
    )


def column_widths(sheet):
    """{column letter: width}; openpyxl groups neighbouring columns of one width."""
    widths = {}
    for dimension in sheet.column_dimensions.values():
        for index in range(dimension.min, dimension.max + 1):
            widths[get_column_letter(index)] = dimension.width
    return widths


# --- XLSX --------------------------------------------------------------------------------


def test_xlsx_funding_export_is_ready_to_use(client, caf_staff, seeded):
    client.force_login(caf_staff)
    content = funding_export(client, "xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    values = load_workbook(io.BytesIO(content), data_only=True).active
    header = [c.value for c in sheet[1]]
    assert header[5:] == [2023, 2024, 2025, "Total", "Versé 2023", "Versé 2024", "Versé 2025",
                          "Total versé"]  # fmt: skip
    # The header: bold, frozen, filtered; the page: landscape, one page wide.
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref.startswith("A1:M")
    assert sheet.page_setup.orientation == "landscape"
    # fitToWidth 1 is the file format's default: written or not, one page wide.
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    cached = {row[0].value: row for row in values.iter_rows(min_row=2)}
    # Amounts in euros; a line's total is a formula carrying its value.
    line = rows["La Petite Loco"]
    assert line[5].value == 40800 and line[5].number_format == '#,##0\\ "€"'
    number = line[0].row
    assert line[8].value == f"=SUM(F{number}:H{number})"
    assert cached["La Petite Loco"][8].value == 122400
    # The totals: formulas (SUM, SUMIF on the share or the category) with their values.
    total = rows["Total (tous financeurs)"]
    assert [c.value for c in total[5:8]] == ["=SUM(F2:F10)", "=SUM(G2:G10)", "=SUM(H2:H10)"]
    assert [c.value for c in cached["Total (tous financeurs)"][5:9]] == [PER_YEAR] * 3 + [ALL_YEARS]
    assert rows["Total CAF"][5].value == '=SUMIF($E$2:$E$10,"CAF",F2:F10)'
    assert [c.value for c in cached["Total CAF"][5:9]] == [PER_YEAR] * 3 + [ALL_YEARS]
    assert all(c.font.bold for c in total[5:9]) and "€" in total[5].number_format
    # The autofilter covers the header and the lines, not the totals.
    assert sheet.auto_filter.ref == "A1:M10"
    # Widths: every formatted amount fits (no "###"), labels are not cut.
    widths = column_widths(sheet)
    for row in values.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, int | float):
                assert widths[cell.column_letter] >= euro_width(Decimal(str(cell.value)))
    assert widths["A"] >= len("Amicale laïque (périscolaire, extrascolaire et jeunesse)") or (
        widths["A"] >= 50
    )


def test_xlsx_paid_columns_count_active_payments_only(client, caf_staff, seeded):
    pay(seeded, "Passerelle", 2024, "10000")
    pay(seeded, "Passerelle", 2024, "2500.50")
    pay(seeded, "Passerelle", 2024, "9999", cancelled=True)
    client.force_login(caf_staff)
    values = load_workbook(io.BytesIO(funding_export(client, "xlsx")), data_only=True).active
    rows = {row[0]: row for row in values.iter_rows(min_row=2, values_only=True)}
    assert rows["Passerelle"][9:13] == (0, 12500.5, 0, 12500.5)
    assert rows["Total (tous financeurs)"][9:13] == (0, 12500.5, 0, 12500.5)
    sheet = load_workbook(io.BytesIO(funding_export(client, "xlsx"))).active
    cell = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "Passerelle")[10]
    assert cell.number_format == '#,##0.00\\ "€"'  # cents shown where there are some


def test_xlsx_sheets_export_formats(client, elected, seeded):
    seeded.action_sheets.filter(number=4).update(planned_start=datetime.date(2024, 9, 2))
    client.force_login(elected)
    sheet = load_workbook(io.BytesIO(sheets_export(client, "xlsx"))).active
    header = [c.value for c in sheet[1]]
    progress, start = header.index("Avancement (%)"), header.index("Début prévu")
    row = sheet[2]
    assert row[0].number_format == "0" and isinstance(row[0].value, int)
    assert row[progress].number_format == "0\\ %" and 0 <= row[progress].value <= 1
    dated = next(r for r in sheet.iter_rows(min_row=2) if r[start].value is not None)
    assert isinstance(dated[start].value, datetime.datetime)
    assert dated[start].number_format == "dd/mm/yyyy"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToHeight == 0
    widths = column_widths(sheet)
    assert all(8 <= w <= 51 for w in widths.values()), widths  # XlsxWriter adds 0.71


def test_xlsx_text_is_never_a_formula(client, caf_staff, seeded):
    FundingLine.objects.filter(convention=seeded, label="Passerelle").update(label="=SUM(1+1)\x01")
    client.force_login(caf_staff)
    sheet = load_workbook(io.BytesIO(funding_export(client, "xlsx"))).active
    cell = next(row[0] for row in sheet.iter_rows(min_row=2) if "SUM" in str(row[0].value))
    assert cell.data_type == "s" and cell.value == "'=SUM(1+1)"


# --- ODS ---------------------------------------------------------------------------------


def ods_table(content):
    document = opendocument.load(io.BytesIO(content))
    styles = {}
    for element in document.automaticstyles.childNodes:
        if element.getAttrNS(STYLENS, "name"):
            styles[element.getAttrNS(STYLENS, "name")] = element
    table = document.spreadsheet.getElementsByType(Table)[0]
    return document, styles, table


def cells_of(row):
    return list(row.childNodes)


def test_ods_funding_export_is_ready_to_use(client, caf_staff, seeded):
    from odf.style import TextProperties
    from odf.table import DatabaseRange, TableColumn, TableRow

    client.force_login(caf_staff)
    content = funding_export(client, "ods")
    document, styles, table = ods_table(content)
    rows = table.getElementsByType(TableRow)
    header = cells_of(rows[0])
    header_style = styles[header[0].getAttrNS(TABLENS, "style-name")]
    weight = header_style.getElementsByType(TextProperties)[0].getAttrNS(FONS, "font-weight")
    assert weight == "bold"
    by_label = {}
    for row in rows[1:]:
        cells = cells_of(row)
        by_label[str(cells[0])] = cells
    total = by_label["Total (tous financeurs)"]
    for cell in total[5:8]:
        assert cell.getAttrNS(TABLENS, "formula").startswith("of:=SUM([.")
        assert float(cell.getAttribute("value")) == PER_YEAR
    assert total[8].getAttrNS(TABLENS, "formula") == "of:=SUM([.F13:.H13])"
    assert float(total[8].getAttribute("value")) == ALL_YEARS
    caf = by_label["Total CAF"][5]
    assert caf.getAttrNS(TABLENS, "formula") == 'of:=SUMIF([.$E$2:.$E$10];"CAF";[.F2:.F10])'
    # Euro data style on amounts, French.
    amount = by_label["La Petite Loco"][5]
    cell_style = styles[amount.getAttrNS(TABLENS, "style-name")]
    assert styles[cell_style.getAttrNS(STYLENS, "data-style-name")].qname[1] == "currency-style"
    # Widths fitted: every amount fits its column.
    columns = table.getElementsByType(TableColumn)
    widths = []
    for column in columns:
        style = styles[column.getAttrNS(TABLENS, "style-name")]
        centimetres = style.childNodes[0].getAttrNS(STYLENS, "column-width")
        widths.append(float(centimetres.removesuffix("cm")) / ODS_CHARACTER_CM)
    for cells in by_label.values():
        for index, cell in enumerate(cells):
            if cell.getAttrNS(OFFICENS, "value-type") == "float":
                value = Decimal(cell.getAttribute("value"))
                assert widths[index] >= euro_width(value)
    # The autofilter: the header and the lines.
    ranges = document.spreadsheet.getElementsByType(DatabaseRange)
    assert ranges[0].getAttrNS(TABLENS, "target-range-address").endswith(".M10")


def test_exported_file_with_paid_columns_imports_back_unchanged(client, caf_staff, seeded):
    pay(seeded, "Passerelle", 2024, "10000")
    client.force_login(caf_staff)
    before = sorted(FundingAmount.objects.values_list("line__label", "year", "planned"))
    for fmt in ("xlsx", "ods", "csv"):
        response = client.get(reverse("funding:export", args=[SLUG, fmt]))
        content = b"".join(response.streaming_content) if fmt == "csv" else response.content
        response = client.post(
            reverse("funding:import", args=[SLUG]),
            {"file": SimpleUploadedFile(f"export.{fmt}", content)},
        )
        preview = response.context["preview"]
        assert preview.is_valid, (fmt, [(r.number, r.errors) for r in preview.rows])
        assert {r.action for r in preview.rows} == {"unchanged"}, fmt
        assert len(preview.rows) == 9
    after = sorted(FundingAmount.objects.values_list("line__label", "year", "planned"))
    assert after == before


def test_csv_keeps_values_and_paid_columns(client, caf_staff, seeded):
    client.force_login(caf_staff)
    response = client.get(reverse("funding:export", args=[SLUG, "csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][9:] == ["Versé 2023", "Versé 2024", "Versé 2025", "Total versé"]
    total = next(r for r in rows if r[0] == "Total (tous financeurs)")
    assert total[5:9] == ["241801,00"] * 3 + ["725403,00"]


# --- LibreOffice: what a user sees -------------------------------------------------------


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_libreoffice_shows_every_amount(client, caf_staff, seeded, fmt, tmp_path):
    client.force_login(caf_staff)
    source = tmp_path / f"export.{fmt}"
    source.write_bytes(funding_export(client, fmt))
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):59,34,76,1,,1036,false,true,true",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    # Options: ";" separators, UTF-8, French locale (1036), "as shown" (formatted cells).
    text = (tmp_path / "export.csv").read_text(encoding="utf-8")
    assert "###" not in text
    rows = {row[0]: row for row in csv.reader(io.StringIO(text), delimiter=";")}
    # As shown: grouped thousands and the euro sign (the separators follow LibreOffice's locale).
    shown = rows["Total (tous financeurs)"][5:9]
    assert all(c.endswith("€") for c in shown)
    assert ["".join(d for d in c if d.isdigit()) for c in shown] == ["241801"] * 3 + ["725403"]
