from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionsConfig(AppConfig):
    name = "actions"
    verbose_name = _("Action sheets")

    def ready(self):
        from django.db.models.signals import m2m_changed

        from .models import ActionSheet
        from .notifications import pilots_changed

        # A pilot newly named on a sheet gets an e-mail (actions/notifications.py).
        m2m_changed.connect(
            pilots_changed,
            sender=ActionSheet.pilots.through,
            dispatch_uid="actions.notifications.pilots_changed",
        )
