from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Seed, demonstration data, backup and restore, the bulk dataset generator."""

    name = "operations"
    verbose_name = _("Operations")
