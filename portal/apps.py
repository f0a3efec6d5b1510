from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The pages that combine domains: home, dashboard, public page, overview."""

    name = "portal"
