"""Spreadsheet exports: one exporter yields a header and rows; renderers write CSV, XLSX, ODS.

- CSV for French Excel: semicolon separator, UTF-8 with BOM, decimal comma; streamed row by
  row, so memory does not grow with the rows.
- XLSX with openpyxl in write-only mode: amounts as numeric cells with a euro format, a bold
  header row, frozen panes (tablib offers neither number formats nor write-only speed).
- ODS with tablib (odfpy): numbers as float cells.

Text cells that begin with = + - @ (or a tab / carriage return) are neutralised with a leading
apostrophe, so that no spreadsheet runs them as a formula (OWASP "CSV injection").
"""

import csv
import datetime
import io
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from ctg_portal.validators import CONTROL_CHARACTERS

from .formatting import format_number

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EURO_FORMAT = '#,##0.00\\ "€"'
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


# Control characters that no spreadsheet format can hold (openpyxl refuses them and would fail the
# whole export) are stripped from every cell; tab, line feed and carriage return are kept.


def neutralise(text):
    """A text cell that a spreadsheet will not evaluate, and can hold whatever was typed."""
    text = CONTROL_CHARACTERS.sub("", str(text))
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def unneutralise(text):
    """The inverse of `neutralise`, for files the portal reads back."""
    if isinstance(text, str) and text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


class Exporter:
    """Subclasses give `title`, `stem`, `header()` and `rows()`; money columns by index."""

    title = "export"
    stem = "export"
    money_columns = frozenset()

    def header(self):
        raise NotImplementedError

    def rows(self):
        raise NotImplementedError

    def filename(self, extension):
        return f"{self.stem}-{timezone.localdate():%Y-%m-%d}.{extension}"


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format_number(value, places=2)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return neutralise(value)


class _Line:
    """A file-like object that hands back what csv.writer writes."""

    def write(self, value):
        return value


def iter_csv(exporter):
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow([neutralise(h) for h in exporter.header()])
    for row in exporter.rows():
        yield writer.writerow([csv_cell(v) for v in row])


def xlsx_bytes(exporter):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(exporter.title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in exporter.header():
        cell = WriteOnlyCell(sheet, value=neutralise(title) if isinstance(title, str) else title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in exporter.rows():
        cells = []
        for index, value in enumerate(row):
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=neutralise(value))
                cell.data_type = "s"  # never a formula, whatever the text
            else:
                cell = WriteOnlyCell(sheet, value=value)
                if index in exporter.money_columns and value is not None:
                    cell.number_format = EURO_FORMAT
                elif isinstance(value, datetime.date):
                    cell.number_format = "DD/MM/YYYY"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ods_bytes(exporter):
    import tablib

    dataset = tablib.Dataset(title=exporter.title[:31])
    dataset.headers = [neutralise(h) if isinstance(h, str) else h for h in exporter.header()]
    for row in exporter.rows():
        dataset.append([neutralise(v) if isinstance(v, str) else v for v in row])
    return dataset.export("ods")


def export_response(exporter, extension):
    """The HTTP response of an export, as an attachment named after the exporter and the date."""
    content_type = CONTENT_TYPES[extension]
    if extension == "csv":
        response = StreamingHttpResponse(iter_csv(exporter), content_type=content_type)
    elif extension in ("xlsx", "ods"):
        content = xlsx_bytes(exporter) if extension == "xlsx" else ods_bytes(exporter)
        response = HttpResponse(content, content_type=content_type)
    else:
        raise ValueError(extension)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=exporter.filename(extension)
    )
    return response
