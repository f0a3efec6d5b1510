from django.apps import AppConfig


class CtgPortalConfig(AppConfig):
    name = "ctg_portal"
    verbose_name = "CTG Portal"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import touch_session_on_login

        user_logged_in.connect(touch_session_on_login, dispatch_uid="touch_session_on_login")
