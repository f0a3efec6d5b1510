"""Spreadsheet exports: one exporter yields a header and rows; renderers write CSV, XLSX, ODS.

- CSV for French Excel: semicolon separator, UTF-8 with BOM, decimal comma; streamed row by
  row, so memory does not grow with the rows. Totals are plain values.
- XLSX with XlsxWriter in constant-memory mode, ODS with odfpy: files that open finished —
  column widths fitted to their content (bounded), amounts in euros, progress as a percentage,
  dates as date cells (dd/mm/yyyy), a bold frozen header with an autofilter, landscape pages
  one page wide. Totals are formulas that carry their computed value, so that they follow an
  edit in the file and still show right in a viewer that does not recalculate.

The exporter declares its columns (`Column`: a kind, whether totals sum it, whether it is the
sum of other columns of its row) and yields data rows (lists) then `TotalsRow`s. Formulas are
written by the renderers from these declarations only, never from a cell's text: text cells
that begin with = + - @ (or a tab / carriage return) are neutralised with a leading apostrophe,
so that no spreadsheet runs them as a formula (OWASP "CSV injection").
"""

import csv
import datetime
import functools
import io
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from ctg_portal.validators import CONTROL_CHARACTERS

from .formatting import format_number

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}

# Column kinds.
TEXT = "text"
EURO = "euro"  # amounts: "241 801 €", cents only where there are some (as on the pages)
PERCENT = "percent"  # percentage points (0–100) in the rows, a percentage cell in the files
DATE = "date"
INTEGER = "integer"

# Number formats (XLSX). The separators follow the reader's locale: French in a French Excel
# or LibreOffice ("241 801 €", "12,50 €").
EURO_FORMAT = '#,##0\\ "€"'
EURO_CENTS_FORMAT = '#,##0.00\\ "€"'
PERCENT_FORMAT = "0\\ %"
DATE_FORMAT = "dd/mm/yyyy"
INTEGER_FORMAT = "0"

# Column widths, in characters of the default font: fitted to the longest cell, with room for
# the autofilter's button on the header; text columns stop at TEXT_WIDTH and wrap beyond it
# (numbers and dates never do: a number cut is a "###").
MIN_WIDTH = 6
TEXT_WIDTH = 50
PADDING = 2
FILTER_BUTTON = 2


# Control characters that no spreadsheet format can hold (they would fail the whole export) are
# stripped from every cell; tab, line feed and carriage return are kept.


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


@dataclass(frozen=True)
class Column:
    """A column of an export: its title (a text, or a year), its kind, whether the totals rows
    sum it (`total`), and, for a row's total, the (first, last) columns it sums."""

    title: object
    kind: str = TEXT
    total: bool = False
    sums: tuple[int, int] | None = None


@dataclass
class TotalsRow:
    """A row of totals: its cells (labels, and the computed totals in the summed columns), and
    which data rows it sums — all of them, or those whose cell in column `where[0]` is
    `where[1]` (a SUMIF, which stays right when the rows are sorted or filtered)."""

    cells: list
    where: tuple[int, str] | None = None


class Exporter:
    """Subclasses give `title`, `stem`, `header()` (or `columns()`) and `rows()`.

    `rows()` yields the data rows (lists, one value per column), then the `TotalsRow`s.
    An exporter that gives `header()` declares the kinds of its non-text columns by index in
    `kinds`; one with totals gives `columns()`."""

    title = "export"
    stem = "export"
    kinds: dict[int, str] = {}

    def columns(self):
        return [
            Column(title, self.kinds.get(index, TEXT)) for index, title in enumerate(self.header())
        ]

    def header(self):
        return [column.title for column in self.columns()]

    def rows(self):
        raise NotImplementedError

    def filename(self, extension):
        return f"{self.stem}-{timezone.localdate():%Y-%m-%d}.{extension}"

    def worksheets(self):
        """The exporters of a workbook's worksheets, this one first: an exporter may add
        others (XLSX only; CSV and ODS hold this one)."""
        return [self]


# --- CSV ---------------------------------------------------------------------------------


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
        cells = row.cells if isinstance(row, TotalsRow) else row
        yield writer.writerow([csv_cell(v) for v in cells])


# --- the layout shared by XLSX and ODS ---------------------------------------------------


def euro_width(value):
    """The length of an amount as the files show it: "241 801 €", "-12,50 €"."""
    units = int(abs(value))
    digits = len(str(units))
    width = digits + (digits - 1) // 3 + 2  # the groups' spaces, then " €"
    if value != int(value):
        width += 3  # ",50"
    return width + (value < 0)


def has_cents(value):
    return value != int(value)


def text_width(text):
    return max((len(line) for line in text.split("\n")), default=0)


def cell_width(kind, value):
    """The width in characters of a value as the files show it."""
    if value is None:
        return 0
    if isinstance(value, str):
        return text_width(value)
    if kind == EURO:
        return euro_width(value)
    if kind == PERCENT:
        return len(str(value)) + 2  # "75 %"
    if kind == DATE and isinstance(value, datetime.date):
        return 10
    return len(str(value))


@dataclass
class Formula:
    """A formula in a neutral form, written by each renderer in its own syntax."""

    function: str  # SUM or SUMIF
    column: int  # the summed column (0-based)
    first: int  # the summed rows, 0-based, inclusive
    last: int
    last_column: int | None = None  # a row's sum: columns column..last_column of row first
    where: tuple[int, str] | None = None  # SUMIF: (criterion column, criterion)

    def xlsx(self):
        if self.last_column is not None:
            first, last = cell_ref(self.first, self.column), cell_ref(self.first, self.last_column)
            return f"=SUM({first}:{last})"
        summed = f"{cell_ref(self.first, self.column)}:{cell_ref(self.last, self.column)}"
        if self.where is None:
            return f"=SUM({summed})"
        column = self.where[0]
        criteria = f"{cell_ref(self.first, column, True)}:{cell_ref(self.last, column, True)}"
        return f"=SUMIF({criteria},{criterion(self.where[1])},{summed})"

    def ods(self):
        if self.last_column is not None:
            return (
                f"of:=SUM([.{cell_ref(self.first, self.column)}:"
                f".{cell_ref(self.first, self.last_column)}])"
            )
        summed = f"[.{cell_ref(self.first, self.column)}:.{cell_ref(self.last, self.column)}]"
        if self.where is None:
            return f"of:=SUM({summed})"
        column = self.where[0]
        criteria = (
            f"[.{cell_ref(self.first, column, absolute=True)}:"
            f".{cell_ref(self.last, column, absolute=True)}]"
        )
        return f"of:=SUMIF({criteria};{criterion(self.where[1])};{summed})"


def criterion(text):
    """A SUMIF criterion matching `text` exactly: quoted, wildcards escaped."""
    for special in ("~", "*", "?"):
        text = text.replace(special, "~" + special)
    return '"' + text.replace('"', '""') + '"'


@functools.cache
def column_letters(index):
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_ref(row, column, absolute=False):
    dollar = "$" if absolute else ""
    return f"{dollar}{column_letters(column)}{dollar}{row + 1}"


@dataclass
class Cell:
    value: object
    kind: str
    formula: Formula | None = None


class Layout:
    """The cells of an export, row by row, with the totals as formulas, and the widths of the
    columns measured on the way (the rows are streamed: nothing is kept but the widths)."""

    def __init__(self, exporter):
        self.columns = exporter.columns()
        self.exporter = exporter
        self.widths = [
            len(str(c.title)) + FILTER_BUTTON if c.kind == TEXT else len(str(c.title))
            for c in self.columns
        ]
        self.first_data = 1  # row 0 is the header
        self.last_data = 0  # no data row yet
        self.totals_rows = 0

    @property
    def last_filtered(self):
        """The last row the autofilter covers: the header and the data rows."""
        return max(self.last_data, 0)

    def measure(self, index, kind, value):
        width = cell_width(kind, value)
        if width > self.widths[index]:
            self.widths[index] = width

    def rows(self):
        """[(row number, is a totals row, [Cell])], from the row after the header."""
        for number, row in enumerate(self.exporter.rows(), start=1):
            is_totals = isinstance(row, TotalsRow)
            values = row.cells if is_totals else row
            if is_totals:
                self.totals_rows += 1
            else:
                self.last_data = number
            cells = []
            for index, (column, value) in enumerate(zip(self.columns, values, strict=False)):
                kind = column.kind
                if isinstance(value, str):
                    value = neutralise(value)
                    kind = TEXT
                self.measure(index, kind, value)
                formula = None
                if column.sums is not None and value is not None:
                    formula = Formula("SUM", column.sums[0], number, number, column.sums[1])
                elif is_totals and column.total and value is not None and self.last_data:
                    formula = Formula(
                        "SUMIF" if row.where else "SUM",
                        index,
                        self.first_data,
                        self.last_data,
                        where=row.where,
                    )
                cells.append(Cell(value, kind, formula))
            yield number, is_totals, cells

    def width(self, index):
        """A column's width in characters: its longest cell, bounded for text."""
        width = max(self.widths[index], MIN_WIDTH) + PADDING
        if self.columns[index].kind == TEXT:
            width = min(width, TEXT_WIDTH)
        return width


# --- XLSX --------------------------------------------------------------------------------


class XlsxFormats:
    """XlsxWriter formats by (kind, bold, cents, wrap), made once each."""

    NUMBER_FORMATS = {
        EURO: EURO_FORMAT,
        PERCENT: PERCENT_FORMAT,
        DATE: DATE_FORMAT,
        INTEGER: INTEGER_FORMAT,
    }

    def __init__(self, workbook):
        self.workbook = workbook
        self.made = {}

    def get(self, kind, bold=False, cents=False, wrap=False):
        key = (kind, bold, cents, wrap)
        if key not in self.made:
            properties = {"valign": "top"}
            if bold:
                properties["bold"] = True
            if wrap:
                properties["text_wrap"] = True
            if kind == EURO and cents:
                properties["num_format"] = EURO_CENTS_FORMAT
            elif kind in self.NUMBER_FORMATS:
                properties["num_format"] = self.NUMBER_FORMATS[kind]
            self.made[key] = self.workbook.add_format(properties)
        return self.made[key]


def plain_formulas_worksheet():
    """A worksheet class that takes formulas as they are written. XlsxWriter runs some thirty
    regular expressions on each formula to prefix Excel's newer functions (FILTER, XLOOKUP…);
    the exports write SUM and SUMIF only, one per line and total: that work was a third of
    the time of a large export."""
    from xlsxwriter.worksheet import Worksheet

    class PlainFormulasWorksheet(Worksheet):
        def _prepare_formula(self, formula, expand_future_functions=False):
            return formula.removeprefix("=")

    return PlainFormulasWorksheet


def xlsx_number(kind, value):
    if kind == PERCENT:
        return float(value) / 100
    return float(value)


def xlsx_bytes(exporter):
    """The workbook of `exporter`: one worksheet per exporter of `exporter.worksheets()` (its own
    first, then those it adds, e.g. a bilan's indicators beside its reviews)."""
    import xlsxwriter

    buffer = io.BytesIO()
    # constant_memory: each row goes to a temporary file as it is written, so that the memory
    # does not grow with the rows; column widths, the filter and the page setup are written
    # when the file is closed, so they can be set after the rows.
    workbook = xlsxwriter.Workbook(
        buffer,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    formats = XlsxFormats(workbook)
    header_format = workbook.add_format(
        {"bold": True, "valign": "top", "text_wrap": True, "bottom": 1}
    )
    for part in exporter.worksheets():
        write_xlsx_sheet(workbook, formats, header_format, part)
    workbook.close()
    return buffer.getvalue()


def write_xlsx_sheet(workbook, formats, header_format, exporter):
    sheet = workbook.add_worksheet(exporter.title[:31], plain_formulas_worksheet())
    layout = Layout(exporter)
    for index, column in enumerate(layout.columns):
        if isinstance(column.title, str):
            sheet.write_string(0, index, neutralise(column.title), header_format)
        else:
            sheet.write_number(0, index, column.title, header_format)
    for number, is_totals, cells in layout.rows():
        for index, cell in enumerate(cells):
            value, kind = cell.value, cell.kind
            if value is None:
                if is_totals:
                    sheet.write_blank(number, index, None, formats.get(TEXT, bold=True))
                continue
            if kind == TEXT:
                if not value and not is_totals:
                    continue  # an empty cell
                wrap = "\n" in value or len(value) > TEXT_WIDTH - PADDING
                # write_string: never a formula, whatever the text
                sheet.write_string(number, index, value, formats.get(TEXT, is_totals, wrap=wrap))
                continue
            cell_format = formats.get(kind, is_totals, cents=kind == EURO and has_cents(value))
            if kind == DATE:
                sheet.write_datetime(number, index, value, cell_format)
            elif cell.formula is not None:
                number_value = xlsx_number(kind, value)
                sheet.write_formula(number, index, cell.formula.xlsx(), cell_format, number_value)
            else:
                sheet.write_number(number, index, xlsx_number(kind, value), cell_format)
    last_column = len(layout.columns) - 1
    for index in range(len(layout.columns)):
        sheet.set_column(index, index, layout.width(index))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, layout.last_filtered, last_column)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)  # one page wide, as many pages down as needed
    sheet.repeat_rows(0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)


# --- ODS ---------------------------------------------------------------------------------

# Width of a character of the default font (Liberation Sans 10 pt), in centimetres.
ODS_CHARACTER_CM = 0.22


def ods_bytes(exporter):
    from odf import number as odf_number
    from odf.config import (
        ConfigItem,
        ConfigItemMapEntry,
        ConfigItemMapIndexed,
        ConfigItemMapNamed,
        ConfigItemSet,
    )
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import (
        MasterPage,
        PageLayout,
        PageLayoutProperties,
        Style,
        TableCellProperties,
        TableColumnProperties,
        TextProperties,
    )
    from odf.table import (
        DatabaseRange,
        DatabaseRanges,
        Table,
        TableCell,
        TableColumn,
        TableRow,
    )
    from odf.teletype import addTextToElement
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    title = exporter.title[:31]

    # Data styles: French whatever the reader's locale.
    french = {"language": "fr", "country": "FR"}

    def currency_style(name, places):
        style = odf_number.CurrencyStyle(name=name, **french)
        style.addElement(
            odf_number.Number(decimalplaces=places, minintegerdigits=1, grouping="true")
        )
        style.addElement(odf_number.Text(text="\u00a0"))
        style.addElement(odf_number.CurrencySymbol(text="€", **french))
        document.automaticstyles.addElement(style)
        return name

    percent_style = odf_number.PercentageStyle(name="N-percent", **french)
    percent_style.addElement(odf_number.Number(decimalplaces=0, minintegerdigits=1))
    percent_style.addElement(odf_number.Text(text="\u00a0%"))
    document.automaticstyles.addElement(percent_style)
    date_style = odf_number.DateStyle(name="N-date", **french)
    date_style.addElement(odf_number.Day(style="long"))
    date_style.addElement(odf_number.Text(text="/"))
    date_style.addElement(odf_number.Month(style="long"))
    date_style.addElement(odf_number.Text(text="/"))
    date_style.addElement(odf_number.Year(style="long"))
    document.automaticstyles.addElement(date_style)
    integer_style = odf_number.NumberStyle(name="N-integer", **french)
    integer_style.addElement(odf_number.Number(decimalplaces=0, minintegerdigits=1))
    document.automaticstyles.addElement(integer_style)
    data_styles = {
        (EURO, False): currency_style("N-euro", 0),
        (EURO, True): currency_style("N-euro-cents", 2),
        (PERCENT, False): "N-percent",
        (DATE, False): "N-date",
        (INTEGER, False): "N-integer",
    }

    cell_styles = {}

    def cell_style(kind, bold=False, cents=False, wrap=False):
        key = (kind, bold, cents and kind == EURO, wrap)
        if key not in cell_styles:
            name = f"ce{len(cell_styles) + 1}"
            data_style = data_styles.get((kind, key[2]))
            attributes = {"name": name, "family": "table-cell"}
            if data_style:
                attributes["datastylename"] = data_style
            style = Style(**attributes)
            style.addElement(
                TableCellProperties(verticalalign="top", wrapoption="wrap" if wrap else "no-wrap")
            )
            if bold:
                style.addElement(TextProperties(fontweight="bold"))
            document.automaticstyles.addElement(style)
            cell_styles[key] = name
        return cell_styles[key]

    header_style = Style(name="ce-header", family="table-cell")
    header_style.addElement(
        TableCellProperties(
            verticalalign="top", wrapoption="wrap", borderbottom="0.5pt solid #000000"
        )
    )
    header_style.addElement(TextProperties(fontweight="bold"))
    document.automaticstyles.addElement(header_style)

    # Landscape A4, scaled to one page wide.
    page_layout = PageLayout(name="pm-landscape")
    page_properties = PageLayoutProperties(
        printorientation="landscape",
        pagewidth="29.7cm",
        pageheight="21cm",
        margintop="1.5cm",
        marginbottom="1.5cm",
        marginleft="1cm",
        marginright="1cm",
    )
    # ODF 1.3's "scale to X pages wide, Y high" (0: as many as needed); odfpy predates it.
    page_properties.attributes[(STYLE_NS, "scale-to-X")] = "1"
    page_properties.attributes[(STYLE_NS, "scale-to-Y")] = "0"
    page_layout.addElement(page_properties)
    document.automaticstyles.addElement(page_layout)
    master = MasterPage(name="Default", pagelayoutname=page_layout)
    document.masterstyles.addElement(master)
    table_style = Style(name="ta1", family="table", masterpagename="Default")
    document.automaticstyles.addElement(table_style)

    layout = Layout(exporter)
    sheet = Table(name=title, stylename=table_style)
    rows = []
    header = TableRow()
    for column in layout.columns:
        if isinstance(column.title, str):
            cell = TableCell(valuetype="string", stylename=header_style)
            cell.addElement(P(text=neutralise(column.title)))
        else:
            cell = TableCell(valuetype="float", value=column.title, stylename=header_style)
        header.addElement(cell)
    rows.append(header)
    for _number, is_totals, cells in layout.rows():
        row = TableRow()
        for cell in cells:
            value, kind = cell.value, cell.kind
            if value is None:
                element = (
                    TableCell(stylename=cell_style(TEXT, is_totals)) if is_totals else TableCell()
                )
            elif kind == TEXT:
                wrap = "\n" in value or len(value) > TEXT_WIDTH - PADDING
                element = TableCell(
                    valuetype="string", stylename=cell_style(TEXT, is_totals, wrap=wrap)
                )
                paragraph = P()
                if "\n" in value or "\t" in value:
                    addTextToElement(paragraph, value)
                else:
                    paragraph.addText(value)
                element.addElement(paragraph)
            elif kind == DATE:
                element = TableCell(
                    valuetype="date", datevalue=value.isoformat(), stylename=cell_style(DATE)
                )
            else:
                # No text:p: readers take the value (tablib would read the displayed text).
                shown = Decimal(value) / 100 if kind == PERCENT else value
                element = TableCell(
                    valuetype="percentage" if kind == PERCENT else "float",
                    value=str(shown),
                    stylename=cell_style(kind, is_totals, cents=has_cents(value)),
                )
                if cell.formula is not None:
                    element.setAttribute("formula", cell.formula.ods())
            row.addElement(element)
        rows.append(row)
    for index in range(len(layout.columns)):
        style = Style(name=f"co{index + 1}", family="table-column")
        style.addElement(
            TableColumnProperties(columnwidth=f"{layout.width(index) * ODS_CHARACTER_CM:.2f}cm")
        )
        document.automaticstyles.addElement(style)
        sheet.addElement(TableColumn(stylename=style, defaultcellstylename="Default"))
    for row in rows:
        sheet.addElement(row)
    document.spreadsheet.addElement(sheet)

    last = cell_ref(layout.last_filtered, len(layout.columns) - 1)
    ranges = DatabaseRanges()
    ranges.addElement(
        DatabaseRange(
            name="__Anonymous_Sheet_DB__0",
            targetrangeaddress=f"'{title}'.A1:'{title}'.{last}",
            displayfilterbuttons="true",
        )
    )
    document.spreadsheet.addElement(ranges)

    # The header row frozen (LibreOffice's view settings).
    settings = ConfigItemSet(name="ooo:view-settings")
    views = ConfigItemMapIndexed(name="Views")
    view = ConfigItemMapEntry()
    view.addElement(ConfigItem(name="ViewId", type="string", text="view1"))
    tables = ConfigItemMapNamed(name="Tables")
    entry = ConfigItemMapEntry(name=title)
    for name, kind, value in (
        ("HorizontalSplitMode", "short", "0"),
        ("VerticalSplitMode", "short", "2"),
        ("VerticalSplitPosition", "int", "1"),
        ("ActiveSplitRange", "short", "2"),
        ("PositionTop", "int", "0"),
        ("PositionBottom", "int", "1"),
    ):
        entry.addElement(ConfigItem(name=name, type=kind, text=value))
    tables.addElement(entry)
    view.addElement(tables)
    views.addElement(view)
    settings.addElement(views)
    document.settings.addElement(settings)

    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"


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
