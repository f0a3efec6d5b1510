from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedsConfig(AppConfig):
    """Calendar feeds (iCalendar): a personal feed per user at a secret address, and the public
    feed of a public convention's publishable meetings."""

    name = "feeds"
    verbose_name = _("Calendar feeds")

    def ready(self):
        from ctg_portal.sections import register

        from .sections import account_calendar

        register("account", account_calendar, order=10)
