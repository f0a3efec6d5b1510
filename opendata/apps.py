from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    """Open data of public conventions: CSV files and their Frictionless Data Package, under the
    Licence Ouverte / Etalab 2.0, at /public/<slug>/donnees/."""

    name = "opendata"
    verbose_name = _("Open data")
