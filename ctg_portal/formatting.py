"""French number formats shared by templates, the admin and exports."""

from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"


def group_thousands(digits):
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return NBSP.join(groups)


def format_euros(value):
    """241801 → '241 801 €' (no-break spaces); cents only when there are some: '12,50 €'."""
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    text = group_thousands(units)
    if cents != "00":
        text += "," + cents
    return f"{sign}{text}{NBSP}€"
