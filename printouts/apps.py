from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrintoutsConfig(AppConfig):
    """Printed reports built once and kept in the file storage: a long PDF is built ahead, in
    the background, and served from the storage to every instance (printouts.services)."""

    name = "printouts"
    verbose_name = _("Printouts")
