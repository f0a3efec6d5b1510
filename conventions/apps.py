from django.apps import AppConfig


class ConventionsConfig(AppConfig):
    name = "conventions"

    def ready(self):
        from django.contrib.auth import get_user_model

        from .models import (
            Challenge,
            Convention,
            Domain,
            Membership,
            Partner,
            Signatory,
            StrategicObjective,
        )
        from .versioning import track

        track(Convention, lambda c: [c.pk])
        for model in (Signatory, Domain, Challenge, StrategicObjective, Membership):
            track(model, lambda obj: [obj.convention_id])
        # Shared by conventions: a change shows on every page that names them.
        track(Partner, lambda partner: None)

        # Users' names show on pages; a login only stamps last_login, which none shows.
        track(get_user_model(), lambda user: None, ignore_fields=["last_login"])
