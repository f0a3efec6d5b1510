from django import template

from ctg_portal import formatting
from ctg_portal.formatting import format_euros, format_percent

register = template.Library()


@register.filter
def euros(value):
    """Format an amount the French way: 241 801 €."""
    return format_euros(value)


@register.filter
def percent(value):
    """A percentage the French way: 45 % (a no-break space), or — when there is none."""
    return format_percent(value)


@register.filter
def display_name(user):
    """A person's full name, else their username (ctg_portal.formatting.display_name)."""
    return formatting.display_name(user)


@register.filter
def number(value):
    """A decimal with a comma: 12,5."""
    return formatting.format_number(value)
