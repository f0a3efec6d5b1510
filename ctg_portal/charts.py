"""Horizontal bar charts as server-rendered SVG: no JavaScript, a title and a description.

Each chart comes with the same figures in a table on the page (the text alternative that
screen readers and printouts rely on).
"""

from decimal import Decimal

from django.utils.html import conditional_escape as escape
from django.utils.safestring import mark_safe

WIDTH = 640
ROW = 26
LABEL_WIDTH = 210
BAR_START = LABEL_WIDTH + 10
BAR_WIDTH = 320
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
    height = ROW * len(rows) + 8
    parts = []
    for index, (label, value, href, spoken) in enumerate(rows):
        y = index * ROW + 4
        width = 0 if value is None else float(Decimal(value) / maximum) * BAR_WIDTH
        shown = "—" if value is None else formatter(value)
        row = (
            f'<text x="0" y="{y + 15}" class="bar-label">{escape(shorten(label))}</text>'
            f'<rect x="{BAR_START}" y="{y + 3}" width="{BAR_WIDTH}" height="{ROW - 8}" '
            'class="bar-back"></rect>'
            f'<rect x="{BAR_START}" y="{y + 3}" width="{width:.1f}" height="{ROW - 8}" '
            'class="bar"></rect>'
            f'<text x="{BAR_START + BAR_WIDTH + 8}" y="{y + 15}" class="bar-value">'
            f"{escape(shown)}</text>"
        )
        if href:
            row = f'<a href="{escape(href)}" aria-label="{escape(spoken)}">{row}</a>'
        parts.append(row)
    # Links inside a role="img" would be hidden from screen readers: a group keeps them.
    role = "group" if any(href for _, _, href, _ in rows) else "img"
    chart_id = escape(chart_id)
    return mark_safe(
        f'<svg class="bar-chart" id="{chart_id}" viewBox="0 0 {WIDTH} {height}" role="{role}" '
        f'aria-labelledby="{chart_id}-title"><title id="{chart_id}-title">{escape(title)}</title>'
        f"{''.join(parts)}</svg>"
    )
