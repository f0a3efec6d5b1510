"""The dashboard's SVG charts, drawn by the shared bar chart from the dashboard's figures."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from ctg_portal.charts import bar_chart
from ctg_portal.formatting import format_euros, format_percent


def dashboard_charts(dashboard, *, public):
    """The dashboard's SVG charts; members' bars link to the filtered sheet list."""
    convention = dashboard.convention
    sheets_url = reverse("actions:list", args=[convention.slug])

    def link(**query):
        return None if public else f"{sheets_url}?{urlencode(query)}"

    objective_rows = [
        (
            _("Objective %(number)s") % {"number": group.key.number},
            group.progress,
            link(objectif=group.key.pk),
            _("Objective %(number)s: %(progress)s, see its sheets")
            % {"number": group.key.number, "progress": format_percent(group.progress or 0)},
        )
        for group in dashboard.by_objective
    ]
    domain_rows = [
        (
            group.key.name,
            group.progress,
            link(domaine=group.key.pk),
            _("%(domain)s: %(progress)s, see its sheets")
            % {"domain": group.key.name, "progress": format_percent(group.progress or 0)},
        )
        for group in dashboard.by_domain
    ]
    funding_rows = [(line.label, amount, None, "") for line, amount in dashboard.lines_this_year]
    year_rows = [(str(year), total, None, "") for year, _caf, _local, total in dashboard.per_year]
    return {
        "objectives": bar_chart(
            "chart-objectives",
            _("Average progress by strategic objective (%)"),
            objective_rows,
            maximum=100,
            formatter=format_percent,
        ),
        "domains": bar_chart(
            "chart-domains",
            _("Average progress by domain (%)"),
            domain_rows,
            maximum=100,
            formatter=format_percent,
        ),
        "funding": bar_chart(
            "chart-funding",
            _("Planned funding by line in %(year)s") % {"year": dashboard.year},
            funding_rows,
            formatter=format_euros,
        ),
        "years": bar_chart(
            "chart-years",
            _("Planned funding per year"),
            year_rows,
            formatter=format_euros,
        ),
    }
