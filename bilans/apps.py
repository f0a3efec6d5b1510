from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BilansConfig(AppConfig):
    """The yearly bilans: each fiche's review of a year (filled by its pilots, validated in
    COPIL) and the year's bilan of the convention."""

    name = "bilans"
    verbose_name = _("Yearly reviews")
