"""The year's bilan as the documents a COPIL receives: a PDF (WeasyPrint, through
ctg_portal.pdf), the same content as an editable Word document (python-docx, through
ctg_portal.docx) and the reviews as a spreadsheet (ctg_portal.exports).

All three read one report, `queries.year_report`: the figures of the year page and of the
reviews, for every sheet in a fixed number of queries — never a second computation.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ctg_portal import docx as word
from ctg_portal.charts import bar_chart, for_print
from ctg_portal.exports import DATE, INTEGER, PERCENT, Exporter
from ctg_portal.formatting import DASH, NBSP, display_name, format_euros, french_spacing
from printouts import services as printouts
from printouts.services import Printable

from . import queries

if TYPE_CHECKING:
    from django.http import HttpResponse

    from conventions.models import Convention


def charts(report: queries.YearReport) -> dict[str, str]:
    """The summary's charts: sheets by status on 31/12, indicators reached, CAF funding."""
    figures, year = report.figures, report.year
    tally = figures.indicators
    return {
        "statuses": for_print(
            bar_chart(
                "chart-statuses",
                _("Action sheets by status on 31/12/%(year)s") % {"year": year},
                [(str(label).capitalize(), count, None, "") for label, count in figures.statuses],
            )
        ),
        "indicators": for_print(
            bar_chart(
                "chart-indicators",
                _("Indicators reached"),
                [
                    (pgettext("bilan", "reached").capitalize(), tally.reached, None, ""),
                    (pgettext("bilan", "not reached").capitalize(), tally.not_reached, None, ""),
                    (_("Indicators without a value or target"), tally.no_value, None, ""),
                ],
            )
        ),
        "funding": for_print(
            bar_chart(
                "chart-funding",
                _("CAF funding planned and paid in %(year)s") % {"year": year},
                [
                    (_("CAF funding planned"), figures.caf_planned, None, ""),
                    (_("CAF funding paid"), figures.caf_paid, None, ""),
                ],
                formatter=format_euros,
            )
        ),
    }


def report_context(access, year: int) -> dict:
    convention = access.convention
    report = queries.year_report(convention, year)
    return {
        "access": access,
        "convention": convention,
        "year": year,
        "report": report,
        "charts": charts(report),
        "today": timezone.localdate(),
    }


def filename(convention: Convention, year: int, extension: str) -> str:
    """bilan-<slug>-<year>.<extension>"""
    return f"bilan-{convention.slug}-{year}.{extension}"


def printable(access, year: int) -> Printable:
    """The year's PDF as a printout: long ones are built in the background and kept."""
    convention = access.convention
    return Printable(
        convention=convention,
        name=f"bilan-{year}.pdf",
        filename=filename(convention, year, "pdf"),
        title=_("Bilan %(year)s (PDF)") % {"year": year},
        template_name="bilans/report_pdf.html",
        context=lambda: report_context(access, year),
    )


def build_ahead(request, access, year: int) -> None:
    printouts.build_ahead(request, printable(access, year))


def pdf_response(request, access, year: int) -> HttpResponse:
    back = reverse("bilans:year", kwargs={"slug": access.convention.slug, "year": year})
    return printouts.download(request, printable(access, year), back)


# --- Word ------------------------------------------------------------------------------------


def labelled(label: str, value: str) -> str:
    return french_spacing(_("%(label)s: %(value)s")) % {"label": label, "value": value}


def day(value) -> str:
    return date_format(value, "d/m/Y") if value else DASH


def result_of(line: queries.IndicatorLine) -> str:
    if line.value is None:
        return pgettext("bilan", "no value")
    if line.target is None:
        return pgettext("bilan", "no target")
    return pgettext("bilan", "reached") if line.reached else pgettext("bilan", "not reached")


def indicator_rows(sheet: queries.SheetReport) -> list[list[str]]:
    return [
        [
            line.indicator.label + (f" ({line.indicator.unit})" if line.indicator.unit else ""),
            line.indicator.show(line.indicator.baseline) or DASH,
            line.indicator.show(line.target) or DASH,
            (
                f"{line.indicator.show(line.value)} ({day(line.measured_on)})"
                if line.value is not None
                else DASH
            ),
            result_of(line),
        ]
        for line in sheet.indicators
    ]


def indicator_headers(year: int) -> list[str]:
    return [
        _("Indicator"),
        pgettext("evaluation", "Baseline"),
        _("Target set for %(year)s") % {"year": year},
        _("Last value of %(year)s") % {"year": year},
        _("Result"),
    ]


def state_text(sheet: queries.SheetReport) -> str:
    text = sheet.state_label.capitalize()
    review = sheet.review
    if review is not None and review.validated_at:
        text += " — " + _("validated by %(name)s on %(date)s") % {
            "name": display_name(review.validated_by),
            "date": day(review.validated_at),
        }
        if review.validated_meeting:
            text += f" ({review.validated_meeting.label})"
    return text


def situation_text(sheet: queries.SheetReport) -> str:
    if sheet.status is None:
        return _("The sheet did not exist yet.")
    text = _("Status: %(status)s, progress %(progress)s&nbsp;%%.").replace("&nbsp;", NBSP)
    return text % {"status": sheet.status_label, "progress": sheet.progress}


def build_docx(context: dict) -> bytes:
    """The bilan as a Word document: Title, Heading 1 for the parts and objectives, Heading 2
    for the sheets, Heading 3 inside them; tables with a header row repeated on each page."""
    report: queries.YearReport = context["report"]
    convention, year, figures = report.convention, report.year, report.figures
    title = _("Bilan %(year)s") % {"year": year}
    document = word.new_document(f"{title} — {convention.title}")

    word.add_cover(
        document,
        title,
        [
            convention.title,
            _("Edited on %(date)s") % {"date": day(context["today"])},
            *word.demo_warning(convention.has_demo_data),
        ],
        contents=_("Contents"),
        placeholder=_("Update the fields to show the table of contents."),
    )

    document.add_heading(_("The year in figures, as of 31/12/%(year)s") % {"year": year}, level=1)
    word.add_table(
        document,
        [_("Status"), _("Sheets")],
        [[str(label).capitalize(), str(count)] for label, count in figures.statuses]
        + [[_("Total"), str(figures.sheet_total)]],
        label=_("Action sheets by status on 31/12/%(year)s") % {"year": year},
    )
    document.add_paragraph()
    tally = figures.indicators
    for label, value in [
        (_("Steps done in the year"), str(figures.steps_done)),
        (
            _("Indicators reached"),
            _("%(reached)s of %(total)s") % {"reached": tally.reached, "total": tally.total},
        ),
        (_("Indicators not reached"), str(tally.not_reached)),
        (_("Indicators without a value or target"), str(tally.no_value)),
        (_("CAF funding planned"), format_euros(figures.caf_planned)),
        (_("CAF funding paid"), format_euros(figures.caf_paid)),
    ]:
        document.add_paragraph(labelled(label, value), style="List Bullet")

    document.add_heading(pgettext("bilan", "Synthesis"), level=1)
    word.add_text(
        document,
        report.bilan.synthesis,
        _("The coordinator has not written the synthesis yet."),
    )

    for group in report.objectives:
        objective = group.objective
        document.add_heading(
            _("Objective %(number)s — %(title)s")
            % {"number": objective.number, "title": objective.title},
            level=1,
        )
        for sheet in group.sheets:
            add_sheet(document, sheet, year)
    if not report.objectives:
        document.add_paragraph(_("This convention has no action sheet yet."))

    word.add_page_numbers(document)
    return word.document_bytes(document)


def add_sheet(document, sheet: queries.SheetReport, year: int) -> None:
    document.add_heading(f"{sheet.sheet.number}. {sheet.sheet.title}", level=2)
    document.add_paragraph(labelled(pgettext("bilan", "Review"), state_text(sheet)))
    document.add_paragraph(
        labelled(_("The sheet on 31/12/%(year)s") % {"year": year}, situation_text(sheet))
    )
    document.add_paragraph(
        labelled(_("Steps done in the year"), str(sheet.steps_done))
        + " · "
        + labelled(_("Steps late on 31/12/%(year)s") % {"year": year}, str(sheet.steps_late))
    )
    review = sheet.review
    for label, text in [
        (_("Achievements of the year"), review.achievements if review else ""),
        (_("Difficulties met"), review.difficulties if review else ""),
        (_("Adjustments proposed"), review.adjustments if review else ""),
    ]:
        document.add_heading(label, level=3)
        word.add_text(document, text)
    document.add_paragraph(
        labelled(_("Status proposed for next year"), sheet.proposed_status_label or DASH)
    )
    if review and review.comment:
        document.add_heading(_("Comment"), level=3)
        word.add_text(document, review.comment)
    document.add_heading(_("Indicators"), level=3)
    if sheet.indicators:
        word.add_table(
            document,
            indicator_headers(year),
            indicator_rows(sheet),
            repeat_header=True,
            label=_("Indicators: last value of %(year)s against the target of the year")
            % {"year": year},
        )
    else:
        document.add_paragraph(_("No indicator."))


def docx_response(access, year: int) -> HttpResponse:
    return word.docx_response(
        build_docx(report_context(access, year)), filename(access.convention, year, "docx")
    )


# --- spreadsheet -----------------------------------------------------------------------------


class ReviewExporter(Exporter):
    """One row a sheet: its objective, number and title, its review's state and texts, its
    status and progress on 31/12."""

    kinds = {1: INTEGER, 5: PERCENT}

    def __init__(self, convention: Convention, year: int):
        self.convention = convention
        self.year = year
        self.title = _("Bilan %(year)s") % {"year": year}
        self.stem = f"bilan-{convention.slug}-{year}"

    def header(self):
        return [
            _("Strategic objective"),
            _("No."),
            _("Title"),
            pgettext("bilan", "Review"),
            _("Status on 31/12/%(year)s") % {"year": self.year},
            _("Progress (%)"),
            _("Achievements of the year"),
            _("Difficulties met"),
            _("Adjustments proposed"),
            _("Status proposed for next year"),
        ]

    @cached_property
    def report(self) -> queries.YearReport:
        return queries.year_report(self.convention, self.year)

    def worksheets(self):
        """The reviews, then the indicators against the year's targets: one workbook."""
        return [self, IndicatorExporter(self)]

    def rows(self):
        for sheet in self.report.sheets:
            review = sheet.review
            objective = sheet.sheet.objective
            yield [
                f"{objective.number}. {objective.title}",
                sheet.sheet.number,
                sheet.sheet.title,
                sheet.state_label.capitalize(),
                sheet.status_label.capitalize(),
                sheet.progress,
                review.achievements if review else "",
                review.difficulties if review else "",
                review.adjustments if review else "",
                sheet.proposed_status_label.capitalize(),
            ]


class IndicatorExporter(Exporter):
    """The bilan's second worksheet: one row an indicator of the year's sheets — its sheet, label
    and unit, baseline, the year's target, the year's last value and its date, reached or not."""

    kinds = {0: INTEGER, 7: DATE}

    def __init__(self, reviews: ReviewExporter):
        self.reviews = reviews
        self.title = pgettext("bilan", "Indicators")
        self.stem = reviews.stem

    def header(self):
        year = self.reviews.year
        return [
            _("Sheet No."),
            _("Sheet"),
            _("Indicator"),
            _("Unit"),
            pgettext("evaluation", "Baseline"),
            _("Target set for %(year)s") % {"year": year},
            _("Last value of %(year)s") % {"year": year},
            _("Measured on"),
            _("Result"),
        ]

    def rows(self):
        for sheet in self.reviews.report.sheets:
            for line in sheet.indicators:
                indicator = line.indicator
                yield [
                    sheet.sheet.number,
                    sheet.sheet.title,
                    indicator.label,
                    indicator.unit,
                    indicator.show(indicator.baseline) if indicator.baseline is not None else "",
                    indicator.show(line.target) if line.target is not None else "",
                    indicator.show(line.value) if line.value is not None else "",
                    line.measured_on,
                    result_of(line).capitalize(),
                ]
