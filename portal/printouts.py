"""What the steering committee's printouts show: the dashboard's figures and one sheet.

Fed by the queries of the pages they print (`build_dashboard`, `actions.queries`): never a
second computation of the figures. The print pages and their PDFs share these contexts.
"""

from django.urls import reverse
from django.utils import timezone

from actions import queries as sheet_queries
from actions.charts import indicator_chart
from ctg_portal.charts import for_print

from .charts import dashboard_charts
from .dashboard import build_dashboard

# The printout of a sheet shows its latest notes: the committee reads where it stands, the
# sheet's page keeps the whole story.
PRINTED_NOTES = 3


def dashboard_printout_context(access):
    convention = access.convention
    dashboard = build_dashboard(convention)
    return {
        "access": access,
        "convention": convention,
        "dashboard": dashboard,
        # The printout draws one chart: progress by objective.
        "charts": {
            "objectives": for_print(dashboard_charts(dashboard, public=False)["objectives"])
        },
        "list_url": reverse("actions:list", args=[convention.slug]),
    }


def sheet_printout_context(access, sheet):
    today = timezone.localdate()
    indicators = sheet_queries.indicators_of(sheet)
    for indicator in indicators:
        indicator.chart = for_print(indicator_chart(indicator, indicator.value_list))
    sheet_queries.with_status_badges([sheet])
    return {
        "access": access,
        "convention": access.convention,
        "sheet": sheet,
        "steps": sheet_queries.steps_of(sheet, today),
        "indicators": indicators,
        "labels": sheet_queries.summary_labels(sheet),
        "notes": sheet_queries.notes_of(sheet)[:PRINTED_NOTES],
        "today": today,
    }


def printout_filename(convention, today, *parts):
    """copil-<slug>[-<part>…]-<date>.pdf"""
    return "-".join(["copil", convention.slug, *map(str, parts), today.isoformat()]) + ".pdf"
