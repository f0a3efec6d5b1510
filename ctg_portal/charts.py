"""Horizontal bar charts as server-rendered SVG: no JavaScript, a title and a description.

Each chart comes with the same figures in a table on the page (the text alternative that
screen readers and printouts rely on).
"""

from decimal import Decimal

from django.utils.html import format_html, format_html_join

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
    """rows: [(label, value or None, href or None, accessible label)] → safe SVG markup."""
    values = [Decimal(v) for _, v, _, _ in rows if v is not None]
    maximum = Decimal(maximum if maximum is not None else max(values, default=0)) or Decimal(1)
    height = ROW * len(rows) + 8
    parts = []
    for index, (label, value, href, spoken) in enumerate(rows):
        y = index * ROW + 4
        width = 0 if value is None else float(Decimal(value) / maximum) * BAR_WIDTH
        shown = "—" if value is None else formatter(value)
        row = format_html(
            '<text x="0" y="{}" class="bar-label">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" class="bar-back"></rect>'
            '<rect x="{}" y="{}" width="{}" height="{}" class="bar"></rect>'
            '<text x="{}" y="{}" class="bar-value">{}</text>',
            f"{y + 15}",
            shorten(label),
            BAR_START,
            y + 3,
            BAR_WIDTH,
            ROW - 8,
            BAR_START,
            y + 3,
            f"{width:.1f}",
            ROW - 8,
            BAR_START + BAR_WIDTH + 8,
            f"{y + 15}",
            shown,
        )
        if href:
            row = format_html('<a href="{}" aria-label="{}">{}</a>', href, spoken, row)
        parts.append(row)
    # Links inside a role="img" would be hidden from screen readers: a group keeps them.
    role = "group" if any(href for _, _, href, _ in rows) else "img"
    return format_html(
        '<svg class="bar-chart" id="{}" viewBox="0 0 {} {}" role="{}" '
        'aria-labelledby="{}-title"><title id="{}-title">{}</title>{}</svg>',
        chart_id,
        WIDTH,
        height,
        role,
        chart_id,
        chart_id,
        title,
        format_html_join("", "{}", ((part,) for part in parts)),
    )
