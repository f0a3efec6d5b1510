from django import template

from ctg_portal.formatting import format_euros

register = template.Library()


@register.filter
def euros(value):
    """Format an amount the French way: 241 801 €."""
    return format_euros(value)
