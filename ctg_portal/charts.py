"""Horizontal bar charts as server-rendered SVG: no JavaScript, a title and a description.

Each chart comes with the same figures in a table on the page (the text alternative that
screen readers and printouts rely on).

The chart has no viewBox: it takes the width of its column (bars in percent of it) and draws
its text at the font size of the stylesheet, never scaled down with the chart. A viewBox would
shrink the labels with the column (a 640-unit chart in a 351 px phone column writes 12 px
labels 6.5 px tall). Each row is a line of text, label on the left and value on the right,
above its bar: it fits a phone as well as a wide column.
"""

from decimal import Decimal

from django.utils.html import conditional_escape as escape
from django.utils.safestring import mark_safe

ROW = 34  # one row: its text line, then its bar
TEXT_Y = 14  # baseline of the label and the value in a row
BAR_Y = 19
BAR_HEIGHT = 10
# The track starts 1 px in and spans 99 % of the width, so that its outline (printed) shows.
BAR_X = 1
BAR_SPAN = Decimal(99)
MAX_LABEL = 32


def shorten(text, size=MAX_LABEL):
    text = str(text)
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def bar_chart(chart_id, title, rows, *, maximum=None, formatter=str):
    """rows: [(label, value or None, href or None, accessible label)] → safe SVG markup.

    Built with f-strings: every text is escaped, the numbers are the chart's own. (format_html
    escapes each of the dozen arguments of every bar, which cost more than the rest.)
    """
    values = [Decimal(v) for _, v, _, _ in rows if v is not None]
    maximum = Decimal(maximum if maximum is not None else max(values, default=0)) or Decimal(1)
    height = ROW * len(rows)
    parts = []
    for index, (label, value, href, spoken) in enumerate(rows):
        y = index * ROW
        width = 0 if value is None else float(Decimal(value) / maximum * BAR_SPAN)
        shown = "—" if value is None else formatter(value)
        row = (
            f'<text x="0" y="{y + TEXT_Y}" class="bar-label">{escape(shorten(label))}</text>'
            f'<text x="100%" y="{y + TEXT_Y}" text-anchor="end" class="bar-value">'
            f"{escape(shown)}</text>"
            f'<rect x="{BAR_X}" y="{y + BAR_Y}" width="{BAR_SPAN}%" height="{BAR_HEIGHT}" '
            'class="bar-back"></rect>'
            f'<rect x="{BAR_X}" y="{y + BAR_Y}" width="{width:.1f}%" height="{BAR_HEIGHT}" '
            'class="bar"></rect>'
        )
        if href:
            # The whole row takes the click, the gap between label and value as well.
            row = (
                f'<a href="{escape(href)}" aria-label="{escape(spoken)}">'
                f'<rect x="0" y="{y}" width="100%" height="{ROW}" fill="none" '
                f'pointer-events="all"></rect>{row}</a>'
            )
        parts.append(row)
    # Links inside a role="img" would be hidden from screen readers: a group keeps them.
    role = "group" if any(href for _, _, href, _ in rows) else "img"
    chart_id = escape(chart_id)
    return mark_safe(
        f'<svg class="bar-chart" id="{chart_id}" width="100%" height="{height}" role="{role}" '
        f'aria-labelledby="{chart_id}-title"><title id="{chart_id}-title">{escape(title)}</title>'
        f"{''.join(parts)}</svg>"
    )


# The charts' look as SVG presentation attributes, in black and white, for the PDFs: WeasyPrint
# draws inline SVG with its own renderer, which reads attributes and the SVG's own <style>
# (which the CSP forbids in the page) but not the page's stylesheet. In a browser, any rule of
# static/css/portal.css overrides an attribute: the screen and the browser's print keep their
# own look. A class whose element already carries these attributes is not listed (an attribute
# twice is not XML).
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
    """A chart of `ctg_portal.charts` or `actions.charts`, drawn right without the page's CSS
    (the COPIL printouts, the bilans' reports)."""
    for css, attributes in PRINT_ATTRIBUTES.items():
        svg = svg.replace(css, f"{css} {attributes}")
    return mark_safe(svg)  # the chart's own markup, safe, with literal attributes added
