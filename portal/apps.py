from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The pages that combine domains: home, dashboard, public page, overview; and the sections
    the upper domains add to the pages below them (portal/sections.py)."""

    name = "portal"

    def ready(self):
        from .sections import register_sections

        register_sections()
