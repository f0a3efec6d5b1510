"""Word documents (python-docx) that partners rework as any document: A4 pages, Word's own
heading and table styles, tables whose first row is a header, page numbers and a table of
contents as Word fields, and the download response.

python-docx is imported by each function, never with this module: only the downloads that
build a document load it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def new_document(title: str, *, margin_cm: float = 2) -> Any:
    """An empty A4 document titled `title` (its properties), in French, with even margins."""
    from docx import Document
    from docx.shared import Cm

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(margin_cm))
    document.core_properties.title = title
    document.core_properties.language = "fr-FR"
    return document


def add_table(
    document: Any,
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    repeat_header: bool = False,
    label: str = "",
) -> Any:
    """A "Table Grid" table: a bold header row (repeated at the top of each page when
    `repeat_header`), then one row per item of `rows`, every cell a text. `label` is the
    table's description for screen readers (Word's "alternative text")."""
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    header = table.rows[0]
    for cell, text in zip(header.cells, headers, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    if repeat_header:
        properties = header._tr.get_or_add_trPr()
        properties.append(_element("w:tblHeader"))
    if label:
        table_properties = table._tbl.tblPr
        description = _element("w:tblDescription")
        description.set(_qn("w:val"), label)
        table_properties.append(description)
    for values in rows:
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    return table


def add_field(paragraph: Any, instruction: str, placeholder: str = "") -> None:
    """A Word field (PAGE, NUMPAGES, TOC…) in `paragraph`, showing `placeholder` until Word
    computes it."""
    run = paragraph.add_run()
    begin = _element("w:fldChar")
    begin.set(_qn("w:fldCharType"), "begin")
    begin.set(_qn("w:dirty"), "true")  # computed when the document is opened
    run._r.append(begin)
    run = paragraph.add_run()
    code = _element("w:instrText")
    code.set(_qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    run._r.append(code)
    run = paragraph.add_run()
    separate = _element("w:fldChar")
    separate.set(_qn("w:fldCharType"), "separate")
    run._r.append(separate)
    paragraph.add_run(placeholder)
    run = paragraph.add_run()
    end = _element("w:fldChar")
    end.set(_qn("w:fldCharType"), "end")
    run._r.append(end)


def add_page_numbers(document: Any, template: str = "Page {page} / {pages}") -> None:
    """Page numbers centred in the footer of every section: `template` with the PAGE and
    NUMPAGES fields in place of {page} and {pages}."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    before, rest = template.split("{page}", 1)
    middle, after = rest.split("{pages}", 1)
    for section in document.sections:
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(before)
        add_field(paragraph, "PAGE", "1")
        paragraph.add_run(middle)
        add_field(paragraph, "NUMPAGES", "1")
        paragraph.add_run(after)


def add_table_of_contents(document: Any, placeholder: str, levels: str = "1-2") -> None:
    """A TOC field over the headings of `levels`, and the setting that has Word fill it (and
    the page numbers) when the document is opened; `placeholder` shows until then."""
    add_field(document.add_paragraph(), f'TOC \\o "{levels}" \\h \\z \\u', placeholder)
    settings = document.settings.element
    update = settings.find(_qn("w:updateFields"))
    if update is None:
        update = _element("w:updateFields")
        settings.append(update)
    update.set(_qn("w:val"), "true")


def demo_warning(has_demo_data: bool) -> list[str]:
    """The line a report of demonstration data carries (the portal's own banner's words)."""
    if not has_demo_data:
        return []
    return [
        _(
            "Demonstration data: the progress, notes and values shown here are made up to "
            "illustrate the portal."
        )
    ]


def add_cover(
    document: Any, title: str, lines: Sequence[str], *, contents: str, placeholder: str
) -> None:
    """A report's first page: its title, a line each of `lines` (the convention, the date of
    edition, a demonstration warning…), then the table of contents under the heading
    `contents`, and a page break."""
    document.add_heading(title, level=0)
    for line in lines:
        document.add_paragraph(line)
    document.add_heading(contents, level=1)
    add_table_of_contents(document, placeholder)
    add_page_break(document)


def add_page_break(document: Any) -> None:
    from docx.enum.text import WD_BREAK

    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def add_text(document: Any, text: str, empty: str = "—") -> None:
    """Free text as paragraphs, one per block separated by a blank line; `empty` when blank."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    blocks = [block for block in blocks if block]
    for block in blocks or [empty]:
        document.add_paragraph(block)


def document_bytes(document: Any) -> bytes:
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def docx_response(content: bytes, filename: str) -> HttpResponse:
    """A Word document as an attachment named `filename`."""
    response = HttpResponse(content, content_type=DOCX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response


def _qn(name: str) -> str:
    from docx.oxml.ns import qn

    return qn(name)


def _element(name: str) -> Any:
    from docx.oxml import OxmlElement

    return OxmlElement(name)
