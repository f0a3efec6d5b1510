"""The dashboard's SVG charts, drawn by the shared bar chart from the dashboard's figures."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
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


# The charts' look as SVG presentation attributes, in black and white, for the PDFs: WeasyPrint
# draws inline SVG with its own renderer, which reads attributes and the SVG's own <style>
# (which the CSP forbids in the page) but not the page's stylesheet. In a browser, any rule of
# static/css/portal.css overrides an attribute: the screen and the browser's print keep their
# own look.
PRINT_ATTRIBUTES = {
    'class="bar-back"': 'fill="#fff" stroke="#000" stroke-width="0.75"',
    'class="bar"': 'fill="#495057"',
    'class="bar-label"': 'font-size="12"',
    'class="bar-value"': 'font-size="12"',
    'class="chart-line"': 'fill="none" stroke="#000" stroke-width="2"',
    'class="chart-dot"': 'fill="#000"',
    'class="chart-baseline"': 'stroke="#000" stroke-dasharray="4 3"',
    'class="chart-target"': 'stroke="#000" stroke-dasharray="6 3"',
    'class="chart-label"': 'font-size="10"',
}


def for_print(svg):
    """A chart of `ctg_portal.charts` or `actions.charts`, drawn right without the page's CSS."""
    for css, attributes in PRINT_ATTRIBUTES.items():
        svg = svg.replace(css, f"{css} {attributes}")
    return mark_safe(svg)  # the chart's own markup, safe, with literal attributes added
