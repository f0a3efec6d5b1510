from django import template

from ctg_portal.formatting import format_euros

register = template.Library()


@register.filter
def euros(value):
    """Format an amount the French way: 241 801 €."""
    return format_euros(value)


@register.filter
def version_key(convention):
    """What a cached fragment depends on in a convention: its id and its data version."""
    if not convention:
        return "-"
    return f"{convention.pk}:{convention.data_version}"
