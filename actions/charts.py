"""Small server-rendered SVG charts: no JavaScript, a title for screen readers."""

from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import conditional_escape as escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ctg_portal.formatting import french_spacing

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
    summary = french_spacing(
        ngettext(
            "%(label)s: %(count)s value, %(first)s (%(start)s)",
            "%(label)s: %(count)s values, from %(first)s (%(start)s) to %(last)s (%(end)s)",
            len(values),
        )
    ) % {
        "label": indicator.label,
        "count": len(values),
        "first": indicator.show(values[0].value),
        "start": date_format(values[0].measured_on, "d/m/Y"),
        "last": indicator.show(values[-1].value),
        "end": date_format(values[-1].measured_on, "d/m/Y"),
    }
    guides = []
    for level, css, label in (
        (indicator.baseline, "chart-baseline", _("baseline")),
        (indicator.target, "chart-target", _("target")),
    ):
        if level is not None:
            guides.append((css, y(level), f"{label} {indicator.show(level)}"))
    polyline = " ".join(f"{x(day):.1f},{y(level):.1f}" for day, level in points)
    # f-strings, every text escaped: format_html escapes each number of every point too.
    dots = "".join(
        f'<circle cx="{x(day):.1f}" cy="{y(level):.1f}" r="3" class="chart-dot"></circle>'
        for day, level in points
    )
    lines = "".join(
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{pos:.1f}" y2="{pos:.1f}" class="{css}"></line>'
        f'<text x="{PAD}" y="{pos - 3:.1f}" class="chart-label">{escape(text)}</text>'
        for css, pos, text in guides
    )
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-labelledby="{title_id}"><title id="{title_id}">{escape(summary)}</title>'
        f'{lines}<polyline points="{polyline}" class="chart-line"></polyline>{dots}</svg>'
    )
