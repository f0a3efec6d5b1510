"""Small server-rendered SVG charts: no JavaScript, a title for screen readers."""

from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ctg_portal.formatting import format_number

WIDTH, HEIGHT, PAD = 320, 120, 24


def indicator_chart(indicator, values):
    """A line of the indicator's values over time, with its baseline and target as dashes.

    Returns safe SVG markup, or "" when there is nothing to draw.
    """
    if not values:
        return ""
    points = [(v.measured_on.toordinal(), Decimal(v.value)) for v in values]
    levels = [p[1] for p in points]
    levels += [x for x in (indicator.baseline, indicator.target) if x is not None]
    low, high = min(levels), max(levels)
    if high == low:
        high = low + 1
    first, last = points[0][0], points[-1][0]
    span = max(last - first, 1)

    def x(day):
        if len(points) == 1:
            return WIDTH / 2
        return PAD + (day - first) / span * (WIDTH - 2 * PAD)

    def y(level):
        return HEIGHT - PAD - float((level - low) / (high - low)) * (HEIGHT - 2 * PAD)

    title_id = f"chart-{indicator.pk}"
    summary = ngettext(
        "%(label)s: %(count)s value, %(first)s (%(start)s)",
        "%(label)s: %(count)s values, from %(first)s (%(start)s) to %(last)s (%(end)s)",
        len(values),
    ) % {
        "label": indicator.label,
        "count": len(values),
        "first": format_number(values[0].value),
        "start": date_format(values[0].measured_on, "d/m/Y"),
        "last": format_number(values[-1].value),
        "end": date_format(values[-1].measured_on, "d/m/Y"),
    }
    guides = []
    for level, css, label in (
        (indicator.baseline, "chart-baseline", _("baseline")),
        (indicator.target, "chart-target", _("target")),
    ):
        if level is not None:
            guides.append((css, y(level), f"{label} {format_number(level)}"))
    polyline = " ".join(f"{x(day):.1f},{y(level):.1f}" for day, level in points)
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3" class="chart-dot"></circle>',
        ((f"{x(day):.1f}", f"{y(level):.1f}") for day, level in points),
    )
    lines = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="{}"></line>'
        '<text x="{}" y="{}" class="chart-label">{}</text>',
        (
            (PAD, WIDTH - PAD, f"{pos:.1f}", f"{pos:.1f}", css, PAD, f"{pos - 3:.1f}", text)
            for css, pos, text in guides
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-labelledby="{}"><title id="{}">{}</title>{}'
        '<polyline points="{}" class="chart-line"></polyline>{}</svg>',
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        title_id,
        title_id,
        summary,
        lines,
        polyline,
        dots,
    )
