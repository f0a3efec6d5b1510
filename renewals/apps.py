from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalsConfig(AppConfig):
    """The renewal of a convention into the next period: a wizard with a preview, then one
    transaction that carries over what continues (objectives, running sheets, members, lines)."""

    name = "renewals"
    verbose_name = _("Renewal")
