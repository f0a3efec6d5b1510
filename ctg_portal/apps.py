import axes.apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CtgPortalConfig(AppConfig):
    name = "ctg_portal"
    verbose_name = _("CTG Portal")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import touch_session_on_login

        user_logged_in.connect(touch_session_on_login, dispatch_uid="touch_session_on_login")


class AxesConfig(axes.apps.AppConfig):
    """django-axes (the lockout after failed logins), named in French in the back-office
    instead of "AXES". INSTALLED_APPS names this class instead of "axes"."""

    default = False  # not the configuration of ctg_portal itself
    verbose_name = _("Login security")
