"""Small server-rendered SVG charts: no JavaScript, a title for screen readers."""

import datetime
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import conditional_escape as escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ctg_portal.formatting import french_spacing

# The plot sits between gutters: values on the left axis, dates below, the baseline's and
# target's labels on the right, where the line never runs.
WIDTH, HEIGHT = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 44, 124, 12, 26
LABEL_GAP = 15  # two guide labels closer than this are moved apart
# The yearly targets: a short level over each year's part of the time axis, and a legend line
# under the dates. Their look is in attributes (no stylesheet needed: the PDFs draw them too).
LEGEND = 16
YEAR_TARGET = 'stroke="#146c43" stroke-width="3" stroke-dasharray="2 2"'


def year_targets(indicator):
    """[(year, target)] of the years the indicator has a target of its own for, in order."""
    targets = []
    for year in sorted(indicator.yearly_targets or {}):
        target = indicator.target_for(int(year))
        if target is not None:
            targets.append((int(year), target))
    return targets


def indicator_chart(indicator, values):
    """A line of the indicator's values over time, with a value axis (lowest and highest),
    the dates of the first and last values, the baseline and target as dashes labelled
    beside the plot, and the target of each year as a short level over that year (the time
    axis then runs from the first of these years or values to the last), told by a legend.

    Returns safe SVG markup, or "" when there is nothing to draw.
    """
    if not values:
        return ""
    points = [(v.measured_on.toordinal(), Decimal(v.value)) for v in values]
    yearly = year_targets(indicator)
    levels = [p[1] for p in points] + [target for _year, target in yearly]
    levels += [x for x in (indicator.baseline, indicator.target) if x is not None]
    low, high = min(levels), max(levels)
    if high == low:
        high = low + 1
    days = [p[0] for p in points]
    for year, _target in yearly:
        days += [datetime.date(year, 1, 1).toordinal(), datetime.date(year, 12, 31).toordinal()]
    first, last = min(days), max(days)
    span = max(last - first, 1)
    right_edge = WIDTH - RIGHT
    height = HEIGHT + (LEGEND if yearly else 0)

    def x(day):
        if first == last:
            return (LEFT + right_edge) / 2
        return LEFT + (day - first) / span * (right_edge - LEFT)

    def y(level):
        return HEIGHT - BOTTOM - float((level - low) / (high - low)) * (HEIGHT - TOP - BOTTOM)

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
    if yearly:
        summary = french_spacing(_("%(summary)s; targets per year: %(targets)s")) % {
            "summary": summary,
            "targets": ", ".join(
                french_spacing(_("%(year)s: %(target)s"))
                % {"year": year, "target": indicator.show(target)}
                for year, target in yearly
            ),
        }
    guides = []
    for level, css, label in (
        (indicator.baseline, "chart-baseline", _("baseline")),
        (indicator.target, "chart-target", _("target")),
    ):
        if level is not None:
            guides.append([css, y(level), y(level), f"{label} {indicator.show(level)}"])
    if len(guides) == 2 and abs(guides[0][2] - guides[1][2]) < LABEL_GAP:
        upper, lower = sorted(guides, key=lambda guide: guide[2])
        middle = (upper[2] + lower[2]) / 2
        upper[2], lower[2] = middle - LABEL_GAP / 2, middle + LABEL_GAP / 2
    polyline = " ".join(f"{x(day):.1f},{y(level):.1f}" for day, level in points)
    # f-strings, every text escaped: format_html escapes each number of every point too.
    dots = "".join(
        f'<circle cx="{x(day):.1f}" cy="{y(level):.1f}" r="3" class="chart-dot"></circle>'
        for day, level in points
    )
    lines = "".join(
        f'<line x1="{LEFT}" x2="{right_edge}" y1="{pos:.1f}" y2="{pos:.1f}" class="{css}"></line>'
        f'<text x="{right_edge + 4}" y="{text_y + 4:.1f}" class="chart-label">'
        f"{escape(text)}</text>"
        for css, pos, text_y, text in guides
    )
    # Each year's target over the days of that year (Jan 1 to Dec 31, within the axis).
    levels_of_years = "".join(
        f'<line x1="{x(datetime.date(year, 1, 1).toordinal()):.1f}" '
        f'x2="{x(datetime.date(year, 12, 31).toordinal()):.1f}" '
        f'y1="{y(target):.1f}" y2="{y(target):.1f}" class="chart-year-target" {YEAR_TARGET}>'
        f"<title>{escape(year_label(year, indicator.show(target)))}</title></line>"
        for year, target in yearly
    )
    legend = ""
    if yearly:
        legend_y = HEIGHT + LEGEND - 5
        label = _("target of each year")  # outside the f-string: makemessages reads it there
        legend = (
            f'<line x1="{LEFT}" x2="{LEFT + 18}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
            f'class="chart-year-target" {YEAR_TARGET}></line>'
            f'<text x="{LEFT + 24}" y="{legend_y}" class="chart-label">'
            f"{escape(label)}</text>"
        )
    base = HEIGHT - BOTTOM
    axes = (
        f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{base}" class="chart-axis"></line>'
        f'<line x1="{LEFT}" x2="{right_edge}" y1="{base}" y2="{base}" class="chart-axis"></line>'
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" class="chart-label">'
        f"{escape(indicator.show(high))}</text>"
        f'<text x="{LEFT - 4}" y="{base}" text-anchor="end" class="chart-label">'
        f"{escape(indicator.show(low))}</text>"
    )
    start_day, end_day = datetime.date.fromordinal(first), datetime.date.fromordinal(last)
    dates = [(first, start_day, "start" if first != last else "middle")]
    if first != last:
        dates.append((last, end_day, "end"))
    axes += "".join(
        f'<text x="{x(day):.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}" class="chart-label">'
        f"{escape(date_format(day_date, 'd/m/Y'))}</text>"
        for day, day_date, anchor in dates
    )
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-labelledby="{title_id}"><title id="{title_id}">{escape(summary)}</title>'
        f"{axes}{lines}{levels_of_years}"
        f'<polyline points="{polyline}" class="chart-line"></polyline>{dots}{legend}</svg>'
    )


def year_label(year, target):
    return french_spacing(_("target %(year)s: %(target)s")) % {"year": year, "target": target}
