from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The read-only API (/api/v1/): JSON for members' tools, with personal API tokens."""

    name = "api"
    verbose_name = _("API")

    def ready(self):
        from ctg_portal.sections import register

        from . import schema  # noqa: F401  (registers the bearer scheme with drf-spectacular)
        from .sections import account_tokens

        register("account", account_tokens, order=20)
