"""The evaluation as the documents the partners receive: a PDF (WeasyPrint, through
ctg_portal.pdf), the same content as an editable Word document (python-docx, through
ctg_portal.docx) and its answers as a spreadsheet (ctg_portal.exports).

All three read the evaluation page's own queries (`queries.evaluation_page`: four queries
whatever the number of objectives, sheets and indicators) — never a second computation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ctg_portal import docx as word
from ctg_portal.exports import INTEGER, Exporter
from ctg_portal.formatting import DASH
from printouts import services as printouts
from printouts.services import Printable

from . import queries

if TYPE_CHECKING:
    from django.http import HttpResponse

    from conventions.models import Convention


def report_context(access) -> dict:
    convention = access.convention
    evaluation, objectives = queries.evaluation_page(convention)
    return {
        "access": access,
        "convention": convention,
        "evaluation": evaluation,
        "objectives": objectives,
        "today": timezone.localdate(),
    }


def filename(convention: Convention, extension: str) -> str:
    """evaluation-<slug>.<extension>"""
    return f"evaluation-{convention.slug}.{extension}"


def printable(access) -> Printable:
    """The evaluation's PDF as a printout: long ones are built in the background and kept."""
    return Printable(
        convention=access.convention,
        name="evaluation.pdf",
        filename=filename(access.convention, "pdf"),
        title=_("Evaluation of the convention (PDF)"),
        template_name="evaluations/report_pdf.html",
        context=lambda: report_context(access),
    )


def pdf_response(request, access) -> HttpResponse:
    back = reverse("evaluations:detail", kwargs={"slug": access.convention.slug})
    return printouts.download(request, printable(access), back)


def rating_text(answer: queries.AnswerView) -> str:
    if answer.rating is None:
        return pgettext("evaluation", "not rated")
    return f"{answer.rating}/4 — {answer.rating_label}"


def reached_text(figures: queries.IndicatorFigures) -> str:
    if figures.reached is None:
        return pgettext("evaluation", "no value or target")
    return pgettext("evaluation", "reached" if figures.reached else "not reached")


def indicator_row(figures: queries.IndicatorFigures) -> list[str]:
    indicator = figures.indicator
    label = _("Sheet %(number)s") % {"number": indicator.sheet.number} + f" — {indicator.label}"
    if indicator.unit:
        label += f" ({indicator.unit})"
    last = DASH
    if figures.last_value is not None:
        last = indicator.show(figures.last_value)
        if figures.last_measured_on:
            last += f" ({date_format(figures.last_measured_on, 'd/m/Y')})"
    return [
        label,
        indicator.show(indicator.baseline) or DASH,
        indicator.show(figures.target) or DASH,
        last,
        reached_text(figures),
    ]


def indicator_headers() -> list[str]:
    return [
        _("Indicator"),
        pgettext("evaluation", "Baseline"),
        pgettext("evaluation", "Target"),
        pgettext("evaluation", "Last value"),
        pgettext("evaluation", "Reached"),
    ]


def build_docx(context: dict) -> bytes:
    """The evaluation as a Word document: Title, Heading 1 for each objective and for the
    conclusion, Heading 2 for each question; the ratings in a table, the indicators in tables
    with a header row."""
    convention, evaluation = context["convention"], context["evaluation"]
    objectives: list[queries.ObjectiveView] = context["objectives"]
    title = _("Evaluation of the convention")
    document = word.new_document(f"{title} — {convention.title}")

    word.add_cover(
        document,
        title,
        [
            convention.title,
            _("Edited on %(date)s") % {"date": date_format(context["today"], "d/m/Y")},
            *word.demo_warning(convention.has_demo_data),
        ],
        contents=_("Contents"),
        placeholder=_("Update the fields to show the table of contents."),
    )

    document.add_heading(_("Ratings by objective"), level=1)
    if objectives:
        questions = [answer.label.capitalize() for answer in objectives[0].answers]
        word.add_table(
            document,
            [_("Strategic objective"), *questions],
            [
                [
                    f"{block.objective.number}. {block.objective.title}",
                    *(str(a.rating) if a.rating else DASH for a in block.answers),
                ]
                for block in objectives
            ],
            repeat_header=True,
            label=_("Ratings by objective"),
        )
    else:
        document.add_paragraph(_("This convention has no strategic objective yet."))

    for block in objectives:
        document.add_heading(
            _("Objective %(number)s — %(title)s")
            % {"number": block.objective.number, "title": block.objective.title},
            level=1,
        )
        for answer in block.answers:
            document.add_heading(answer.label.capitalize(), level=2)
            document.add_paragraph(answer.help, style="Quote")
            paragraph = document.add_paragraph()
            paragraph.add_run(pgettext("evaluation", "Rating") + "\u00a0: ").bold = True
            paragraph.add_run(rating_text(answer))
            word.add_text(document, answer.evidence, _("No evidence written."))
            if answer.indicators:
                word.add_table(
                    document,
                    indicator_headers(),
                    [indicator_row(figures) for figures in answer.indicators],
                    repeat_header=True,
                    label=_("Indicators of the answer — %(question)s") % {"question": answer.label},
                )

    document.add_heading(pgettext("evaluation", "Conclusion"), level=1)
    word.add_text(document, evaluation.conclusion if evaluation else "", _("Not written yet."))
    document.add_heading(_("Recommendations for the next convention"), level=1)
    word.add_text(document, evaluation.recommendations if evaluation else "", _("Not written yet."))

    word.add_page_numbers(document)
    return word.document_bytes(document)


def docx_response(access) -> HttpResponse:
    return word.docx_response(
        build_docx(report_context(access)), filename(access.convention, "docx")
    )


class AnswerExporter(Exporter):
    """One row per objective and question: its rating, its evidence, its indicators."""

    kinds = {0: INTEGER, 3: INTEGER}

    def __init__(self, convention: Convention):
        self.convention = convention
        self.title = _("Evaluation")
        self.stem = f"evaluation-{convention.slug}"

    def header(self):
        return [
            _("No."),
            _("Strategic objective"),
            pgettext("evaluation", "question").capitalize(),
            _("Rating (1 to 4)"),
            pgettext("evaluation", "Rating"),
            pgettext("evaluation", "Evidence"),
            _("Indicators"),
        ]

    def rows(self):
        _evaluation, objectives = queries.evaluation_page(self.convention)
        for block in objectives:
            for answer in block.answers:
                yield [
                    block.objective.number,
                    block.objective.title,
                    answer.label.capitalize(),
                    answer.rating,
                    answer.rating_label.capitalize(),
                    answer.evidence,
                    "\n".join(" · ".join(indicator_row(figures)) for figures in answer.indicators),
                ]
