from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    """The evaluation of a convention at the end of its period: the Cnaf's four questions per
    strategic objective, a conclusion and recommendations."""

    name = "evaluations"
    verbose_name = _("Evaluation")
