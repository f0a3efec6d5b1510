"""Import funding lines and yearly amounts from a spreadsheet: check everything, then apply.

The file is the export's own format (XLSX, ODS or CSV): one row per line, one column per year.
Every row is checked and every error reported on its row, in French; nothing is written
unless the whole file is valid and the user confirms the preview.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from conventions.models import Partner
from ctg_portal.exports import unneutralise
from ctg_portal.files import ZipBounds, ZipRefused, inspect_zip
from ctg_portal.formatting import format_euros
from ctg_portal.text import search_key
from ctg_portal.validators import CONTROL_CHARACTERS

from .exports import funding_columns
from .models import FundingAmount, FundingLine, Structure

NUMBER_RE = re.compile(r"^-?\d+(\.\d{1,2})?$")
MAX_AMOUNT = Decimal("9999999999.99")
LABEL_MAX = FundingLine._meta.get_field("label").max_length


class ImportFileError(Exception):
    """The file cannot be read at all (type, encoding, missing columns)."""


@dataclass
class RowResult:
    number: int  # the row's number in the file (the header is row 1)
    label: str
    errors: list = field(default_factory=list)
    action: str = "unchanged"  # create, update or unchanged
    changes: list = field(default_factory=list)  # human-readable changes
    payload: dict = field(default_factory=dict)


@dataclass
class ImportPreview:
    rows: list
    file_errors: list = field(default_factory=list)
    totals: list = field(default_factory=list)  # labels of the rows read as totals, ignored

    @property
    def error_count(self):
        return len(self.file_errors) + sum(len(r.errors) for r in self.rows)

    @property
    def is_valid(self):
        return self.error_count == 0

    @property
    def payload(self):
        return [r.payload for r in self.rows if r.action != "unchanged"]

    def count(self, action):
        return sum(1 for r in self.rows if r.action == action)


# Bounds of an import, checked while reading (README.md): a file within them is read in
# about a second and a few megabytes, whatever its cells declare.
MAX_ROWS = 5000
MAX_COLUMNS = 50
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # XLSX and ODS are zip files: no zip bomb
# An XLSX's shared texts, and a sheet that declares no dimension, are read whole before the
# first row: 8 MB of one part (four times what 5 000 lines of the export take) keeps that
# within a second or two.
MAX_PART_BYTES = 8 * 1024 * 1024


class TooLarge(ImportFileError):
    pass


def bounded(rows):
    """The rows, refused (TooLarge) past MAX_ROWS rows or MAX_COLUMNS filled columns."""
    result = []
    for row in rows:
        row = list(row)
        while row and row[-1] in (None, ""):
            row.pop()
        if len(row) > MAX_COLUMNS:
            raise TooLarge(
                _("The file has more than %(count)s columns: split it.") % {"count": MAX_COLUMNS}
            )
        result.append(row)
        if len(result) > MAX_ROWS + 1:  # the header, then the lines
            raise TooLarge(
                _("The file has more than %(count)s rows: split it.") % {"count": MAX_ROWS}
            )
    return result


IMPORT_ZIP_BOUNDS = ZipBounds(max_total=MAX_UNCOMPRESSED_BYTES, max_member=MAX_PART_BYTES)


def check_zip(content):
    """Refuse a zip (XLSX, ODS) whose content would unpack beyond MAX_UNCOMPRESSED_BYTES, or
    one part of it beyond MAX_PART_BYTES (ctg_portal.files.inspect_zip: declared sizes)."""
    try:
        inspect_zip(io.BytesIO(content), IMPORT_ZIP_BOUNDS)
    except ZipRefused as refused:
        if refused.reason == "total":
            raise TooLarge(
                _("This file unpacks to more than 50 MB: it cannot be imported.")
            ) from None
        raise TooLarge(_("This file holds too much data for one import: split it.")) from None


def read_table(upload):
    """The cells of the first sheet of an uploaded file, as a list of rows (bounded)."""
    name = upload.name.lower()
    content = upload.read()
    try:
        if name.endswith(".csv"):
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = content.decode("cp1252")
            first_line = text.split("\n", 1)[0]
            delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
            return bounded(csv.reader(io.StringIO(text), delimiter=delimiter))
        if name.endswith(".xlsx"):
            from openpyxl import load_workbook

            check_zip(content)
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            # Read at most one column past the bound: a sheet declaring "A1:XFD2002" is not
            # padded to 16 384 columns per row.
            rows = sheet.iter_rows(max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS + 1, values_only=True)
            return bounded(rows)
        if name.endswith(".ods"):
            import tablib

            check_zip(content)
            dataset = tablib.Dataset().load(content, format="ods", headers=False)
            return bounded(dataset)
    except ImportFileError:
        raise
    except Exception as error:  # any parser's failure: the file is not what it claims
        raise ImportFileError(
            _("This file could not be read as %(kind)s.") % {"kind": name.rsplit(".", 1)[-1]}
        ) from error
    raise ImportFileError(_("Only XLSX, ODS and CSV files can be imported."))


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unneutralise(str(value)).strip()


def parse_amount(value):
    """A Decimal from a spreadsheet cell (a number, or French text such as "241 801,00")."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
        # 1e30, NaN and inf are numbers to a spreadsheet, not amounts: a row error.
        if not number.is_finite() or abs(number) > MAX_AMOUNT:
            raise ValueError
        return number.quantize(Decimal("0.01"))
    text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    text = text.removesuffix("€").replace(",", ".")
    if not NUMBER_RE.match(text):
        raise ValueError
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError from None


def header_year(value):
    text = cell_text(value)
    return int(text) if re.fullmatch(r"\d{4}", text) else None


DESCRIPTIVE = ("structure", "category", "funder")


class FundingImport:
    def __init__(self, convention):
        self.convention = convention
        self.lines = {
            line.key: line
            for line in FundingLine.objects.filter(convention=convention).select_related(
                "structure", "funder"
            )
        }
        self.amounts = {
            (a.line_id, a.year): a.planned
            for a in FundingAmount.objects.filter(line__convention=convention)
        }
        self.structures = {
            s.name.casefold(): s for s in Structure.objects.filter(convention=convention)
        }
        self.partners = {}
        for partner in Partner.objects.filter(signatures__convention=convention):
            self.partners[partner.name.casefold()] = partner
        self.categories = {}
        for value, label in FundingLine.Category.choices:
            self.categories[value.casefold()] = value
            self.categories[str(label).casefold()] = value
        self.default_funder = next(
            (p for p in self.partners.values() if p.kind == Partner.Kind.CAF), None
        )

    def preview(self, upload):
        try:
            table = read_table(upload)
        except ImportFileError as error:
            return ImportPreview(rows=[], file_errors=[str(error)])
        table = [row for row in table if any(cell_text(c) for c in row)]
        if not table:
            return ImportPreview(rows=[], file_errors=[_("The file is empty.")])
        header = [cell_text(c).casefold() for c in table[0]]
        names = [n.casefold() for n in funding_columns([])]
        columns = {
            key: header.index(n)
            for key, n in zip(["label", "structure", "category", "funder"], names, strict=False)
            if n in header
        }
        years = {index: header_year(c) for index, c in enumerate(table[0]) if header_year(c)}
        if "label" not in columns or not years:
            return ImportPreview(
                rows=[],
                file_errors=[
                    _(
                        "The first row must name the columns as the export does: "
                        "“%(label)s” and one column per year."
                    )
                    % {"label": funding_columns([])[0]}
                ],
            )
        rows = [list(cells) + [None] * (len(header) - len(cells)) for cells in table[1:]]
        count = self.lines_before_totals(rows, columns)
        results, seen = [], set()
        for number, cells in enumerate(rows[:count], start=2):
            result = self.check_row(number, cells, columns, years)
            if search_key(result.label) in seen:
                result.errors.append(_("This line appears twice in the file."))
            seen.add(search_key(result.label))
            results.append(result)
        totals = [cell_text(cells[columns["label"]]) for cells in rows[count:]]
        return ImportPreview(rows=results, totals=totals)

    def lines_before_totals(self, rows, columns):
        """How many rows are lines. The export ends with rows of totals: they leave the
        structure, category and funder empty and name no line of the convention. They are
        recognised by that place and shape, whatever the language of their label (the
        portal computes the totals again); the preview lists them."""
        count = len(rows)
        while count:
            cells = rows[count - 1]
            if any(cell_text(cells[columns[key]]) for key in DESCRIPTIVE if key in columns):
                break
            if search_key(cell_text(cells[columns["label"]])) in self.lines:
                break
            count -= 1
        # Totals follow lines: a file whose rows all look so holds lines only.
        return count or len(rows)

    def check_row(self, number, cells, columns, years):
        def get(key):
            return cell_text(cells[columns[key]]) if key in columns else ""

        label = get("label")
        result = RowResult(number=number, label=label)
        if not label:
            result.errors.append(_("The line has no label."))
        elif len(label) > LABEL_MAX:
            result.errors.append(
                _("The label is too long (%(length)s characters): %(max)s at most.")
                % {"length": len(label), "max": LABEL_MAX}
            )
        if CONTROL_CHARACTERS.search(label):
            result.errors.append(_("The label holds a control character: remove it."))
        line = self.lines.get(search_key(label))
        structure = line.structure if line else None
        if get("structure"):
            structure = self.structures.get(get("structure").casefold())
            if structure is None:
                result.errors.append(
                    _("Unknown structure: “%(name)s”.") % {"name": get("structure")}
                )
        category = line.category if line else FundingLine.Category.BONUS
        if get("category"):
            category = self.categories.get(get("category").casefold())
            if category is None:
                result.errors.append(_("Unknown category: “%(name)s”.") % {"name": get("category")})
        funder = line.funder if line else self.default_funder
        if get("funder"):
            funder = self.partners.get(get("funder").casefold())
            if funder is None:
                result.errors.append(
                    _("Unknown funder: “%(name)s” (a signatory of the convention is expected).")
                    % {"name": get("funder")}
                )
        elif funder is None:
            result.errors.append(_("The line names no funder."))

        amounts = {}
        convention = self.convention
        for index, year in years.items():
            raw = cells[index] if index < len(cells) else None
            if raw is None or cell_text(raw) == "":
                continue
            if not convention.start_year <= year <= convention.end_year:
                result.errors.append(
                    _("Year %(year)s lies outside the convention's period (%(start)s–%(end)s).")
                    % {"year": year, "start": convention.start_year, "end": convention.end_year}
                )
                continue
            try:
                amount = parse_amount(raw)
            except ValueError:
                result.errors.append(
                    _("Malformed amount for %(year)s: “%(value)s”.")
                    % {"year": year, "value": cell_text(raw)}
                )
                continue
            if amount < 0:
                result.errors.append(
                    _("Negative amount for %(year)s: %(value)s.")
                    % {"year": year, "value": format_euros(amount)}
                )
            elif amount > MAX_AMOUNT:
                result.errors.append(_("Amount too large for %(year)s.") % {"year": year})
            else:
                amounts[year] = amount
        if result.errors:
            return result

        result.payload = {
            "label": label,
            "line": line.pk if line else None,
            "structure": structure.pk if structure else None,
            "category": category,
            "funder": funder.pk,
            "amounts": {str(year): str(amount) for year, amount in amounts.items()},
            # What the preview was made against: the confirm refuses if it changed since.
            "before": {
                str(year): None if (old := self.amounts.get((line.pk, year))) is None else str(old)
                for year in amounts
            }
            if line
            else {},
        }
        if line is None:
            result.action = "create"
            result.changes = [_("new line")] + [
                f"{year}\u00a0: {format_euros(amount)}" for year, amount in sorted(amounts.items())
            ]
            return result
        if structure != line.structure:
            result.changes.append(_("structure: %(name)s") % {"name": structure or "—"})
        if category != line.category:
            result.changes.append(
                _("category: %(name)s") % {"name": FundingLine.Category(category).label}
            )
        if funder != line.funder:
            result.changes.append(_("funder: %(name)s") % {"name": funder.name})
        for year, amount in sorted(amounts.items()):
            old = self.amounts.get((line.pk, year))
            if old != amount:
                before = format_euros(old) if old is not None else "—"
                result.changes.append(f"{year}\u00a0: {before} → {format_euros(amount)}")
        result.action = "update" if result.changes else "unchanged"
        return result


class ImportChanged(Exception):
    """The convention's funding changed between the preview and the confirm."""

    def __init__(self, changes):
        super().__init__("; ".join(changes))
        self.changes = changes


@dataclass
class Funding:
    """A convention's lines and yearly amounts as they stand, read in two queries."""

    lines: dict  # line id → FundingLine
    amounts: dict  # (line id, year) → FundingAmount

    @classmethod
    def of(cls, convention):
        lines = {line.pk: line for line in FundingLine.objects.filter(convention=convention)}
        amounts = {
            (a.line_id, a.year): a
            for a in FundingAmount.objects.filter(line__convention=convention)
        }
        return cls(lines, amounts)


def changes_since_preview(convention, payload, funding=None):
    """What changed, since the preview, in the lines and amounts the import writes, and in
    what it refers to (a structure deleted, a funder no longer a signatory, the period)."""
    funding = funding or Funding.of(convention)
    keys = {line.key for line in funding.lines.values()}
    structures = {item["structure"] for item in payload if item["structure"] is not None}
    if structures:
        structures = set(
            Structure.objects.filter(convention=convention, pk__in=structures).values_list(
                "pk", flat=True
            )
        )
    funders = set(
        Partner.objects.filter(
            signatures__convention=convention, pk__in={item["funder"] for item in payload}
        ).values_list("pk", flat=True)
    )
    changes = []
    for item in payload:
        label = item["label"]
        if item["structure"] is not None and item["structure"] not in structures:
            changes.append(_("“%(label)s”: its structure was deleted meanwhile") % {"label": label})
        if item["funder"] not in funders:
            changes.append(
                _("“%(label)s”: its funder is no longer a signatory of the convention")
                % {"label": label}
            )
        for year in item["amounts"]:
            if not convention.start_year <= int(year) <= convention.end_year:
                changes.append(
                    _("“%(label)s”, %(year)s: outside the convention's period now")
                    % {"label": label, "year": year}
                )
        if item["line"] is None:
            if search_key(label) in keys:
                changes.append(_("“%(label)s”: created meanwhile") % {"label": label})
            continue
        if item["line"] not in funding.lines:
            changes.append(_("“%(label)s”: deleted meanwhile") % {"label": label})
            continue
        for year, before in item["before"].items():
            row = funding.amounts.get((item["line"], int(year)))
            now = row.planned if row is not None else None
            if (str(now) if now is not None else None) != before:
                changes.append(
                    _("“%(label)s”, %(year)s: now %(amount)s")
                    % {
                        "label": label,
                        "year": year,
                        "amount": format_euros(now) if now is not None else "—",
                    }
                )
    return changes


@dataclass
class Writes:
    """The rows a confirmed import writes: built in memory, written in a few bulk queries."""

    new_lines: list = field(default_factory=list)
    changed_lines: list = field(default_factory=list)
    new_amounts: list = field(default_factory=list)
    changed_amounts: list = field(default_factory=list)


LINE_FIELDS = ["structure_id", "category", "funder_id"]


def planned_writes(convention, payload, funding):
    """The Writes of `payload` against the funding as it stands: new lines (placed after the
    others), lines whose structure, category or funder change, new and changed amounts.

    Every value was checked by the preview as the models' validation would (label, structure
    of the convention, category, funder, year in the period, amount): nothing is validated
    row by row here; the database's constraints remain the last guard.
    """
    writes = Writes()
    position = len(funding.lines)
    for item in payload:
        values = {name: item[name.removesuffix("_id")] for name in LINE_FIELDS}
        if item["line"] is None:
            position += 1
            line = FundingLine(
                convention=convention, label=item["label"], position=position, **values
            )
            writes.new_lines.append(line)
        else:
            line = funding.lines[item["line"]]
            if any(getattr(line, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(line, name, value)
                writes.changed_lines.append(line)
        for year, text in item["amounts"].items():
            planned = Decimal(text)
            amount = funding.amounts.get((line.pk, int(year))) if line.pk else None
            if amount is None:
                writes.new_amounts.append(FundingAmount(line=line, year=int(year), planned=planned))
            elif amount.planned != planned:
                amount.planned = planned
                writes.changed_amounts.append(amount)
    return writes


def update_columns(model, objs, names):
    """Write the fields `names` of `objs` (rows that exist) in one UPDATE per batch, joined
    to the new values: `WITH v AS (VALUES …) UPDATE … FROM v` (PostgreSQL, SQLite ≥ 3.33).

    Plain SQL: Django's bulk_update builds a CASE of one branch per row, which costs seconds
    of Python for 15 000 amounts, and each row of the CASE is tried in turn by the database.
    Batches keep SQLite within its 999 parameters; PostgreSQL takes one statement.
    """
    if not objs:
        return
    meta = model._meta
    fields = [meta.pk] + [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = [quote(f.column) for f in fields]
    pk = columns[0]
    # Each value cast to its column's type: a column of NULLs only is text to PostgreSQL.
    row = "(" + ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields) + ")"
    assignments = ", ".join(f"{column} = v.{column}" for column in columns[1:])
    size = connection.ops.bulk_batch_size(fields, objs)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            params = [
                field.get_db_prep_save(getattr(obj, field.attname), connection)
                for obj in batch
                for field in fields
            ]
            values = ", ".join([row] * len(batch))
            cursor.execute(
                f"WITH v ({', '.join(columns)}) AS (VALUES {values}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.{pk}",
                params,
            )


def apply_import(convention, payload, user=None):
    """Write a previewed import: create or update its lines and their yearly amounts, in a
    few bulk queries (with their history records), all or nothing.

    The convention's row is locked first, so that imports of one convention (a confirm sent
    twice, two colleagues) run one after the other; each then checks that nothing it writes
    changed since its preview (ImportChanged otherwise, nothing written). A row written
    meanwhile by a path that takes no such lock (the admin) is refused by the database's
    constraints: ImportChanged too.
    """
    history = {"default_user": user, "default_change_reason": "import"}
    try:
        with transaction.atomic():
            # Read again under the lock: the period may have changed since the page.
            convention = type(convention).objects.select_for_update().get(pk=convention.pk)
            funding = Funding.of(convention)
            changes = changes_since_preview(convention, payload, funding)
            if changes:
                raise ImportChanged(changes)
            writes = planned_writes(convention, payload, funding)
            bulk_create_with_history(writes.new_lines, FundingLine, **history)
            update_columns(FundingLine, writes.changed_lines, ["structure", "category", "funder"])
            FundingLine.history.bulk_history_create(writes.changed_lines, update=True, **history)
            bulk_create_with_history(writes.new_amounts, FundingAmount, **history)
            update_columns(FundingAmount, writes.changed_amounts, ["planned"])
            FundingAmount.history.bulk_history_create(
                writes.changed_amounts, update=True, **history
            )
    except IntegrityError:
        raise ImportChanged([_("a line or an amount was written meanwhile")]) from None
    return writes
