"""The Table Schema of every open-data file: one definition, read by the CSV writer (the column
order), the datapackage.json and the page that describes the files.

Column names are French snake_case and stable: re-users' scripts depend on them, so a column is
added at the end and never renamed. Status, priority and kind codes come from the models'
choices, so that a new choice reaches the `enum` constraint by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from actions.models import ActionSheet, Indicator
from committees.models import Meeting
from funding.models import FundingLine

LICENCE = {
    "name": "etalab-2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "title": "Licence Ouverte / Etalab 2.0",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: Promise
    constraints: dict[str, Any] = field(default_factory=dict)

    def as_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": str(self.description),
        }
        if self.type == "boolean":
            schema.update(trueValues=["true"], falseValues=["false"])
        if self.type == "date":
            schema["format"] = "%Y-%m-%d"
        if self.constraints:
            schema["constraints"] = self.constraints
        return schema


@dataclass(frozen=True)
class Resource:
    name: str  # the file's name without .csv, and the resource's name in the package
    title: Promise
    description: Promise
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    def as_schema(self) -> dict[str, Any]:
        return {
            "fields": [f.as_schema() for f in self.fields],
            "primaryKey": list(self.primary_key),
            "foreignKeys": [
                {
                    "fields": list(columns),
                    "reference": {"resource": resource, "fields": list(target)},
                }
                for columns, resource, target in self.foreign_keys
            ],
            "missingValues": [""],
        }


def codes(choices) -> list[str]:
    return [value for value, _label in choices]


REQUIRED = {"required": True}
UNIQUE_KEY = {"required": True, "unique": True}
NOT_NEGATIVE = {"minimum": 0}

OBJECTIVES = Resource(
    "objectifs",
    _("Strategic objectives"),
    _("The convention's strategic objectives, with their challenges and domains."),
    (
        Field("numero", "integer", _("Number of the objective in the convention."), UNIQUE_KEY),
        Field("titre", "string", _("Title of the objective."), REQUIRED),
        Field("enjeux", "string", _("Challenges the objective answers, separated by « ; ».")),
        Field("domaines", "string", _("Domains of the objective, separated by « ; ».")),
    ),
    ("numero",),
)

SHEETS = Resource(
    "fiches",
    _("Action sheets"),
    _("The action sheets (archived ones left out): status, progress, dates and lateness."),
    (
        Field("numero", "integer", _("Number of the sheet in the convention."), UNIQUE_KEY),
        Field("titre", "string", _("Title of the sheet."), REQUIRED),
        Field("objectif_numero", "integer", _("Number of its strategic objective."), REQUIRED),
        Field(
            "statut",
            "string",
            _("Status code."),
            {"required": True, "enum": codes(ActionSheet.Status.choices)},
        ),
        Field("statut_libelle", "string", _("Status, in words."), REQUIRED),
        Field(
            "priorite",
            "string",
            _("Priority code."),
            {"required": True, "enum": codes(ActionSheet.Priority.choices)},
        ),
        Field(
            "avancement",
            "integer",
            _("Progress in per cent (100 when completed)."),
            {"required": True, "minimum": 0, "maximum": 100},
        ),
        Field("date_debut", "date", _("Planned start (YYYY-MM-DD).")),
        Field("date_fin", "date", _("Planned end (YYYY-MM-DD).")),
        Field(
            "en_retard",
            "boolean",
            _(
                "Late: planned end passed or a step overdue, the sheet neither completed nor "
                "abandoned; never once the convention's period is over."
            ),
            REQUIRED,
        ),
        Field("structure_pilote", "string", _("Lead partner organisation.")),
        Field("domaines", "string", _("Domains of the sheet, separated by « ; ».")),
    ),
    ("numero",),
    ((("objectif_numero",), "objectifs", ("numero",)),),
)

FUNDING = Resource(
    "financements",
    _("Funding"),
    _(
        "One row per funding line and year of the period: the planned amount and the amount "
        "paid (cancelled payments left out), in euros."
    ),
    (
        Field("ligne_id", "integer", _("Identifier of the funding line."), REQUIRED),
        Field("libelle", "string", _("Label of the funding line."), REQUIRED),
        Field(
            "categorie",
            "string",
            _("Category code."),
            {"required": True, "enum": codes(FundingLine.Category.choices)},
        ),
        Field("categorie_libelle", "string", _("Category, in words."), REQUIRED),
        Field("financeur", "string", _("Funding organisation."), REQUIRED),
        Field(
            "part_collectivites",
            "boolean",
            _("True for the local authorities' own share (a commune or the EPCI pays)."),
            REQUIRED,
        ),
        Field("structure", "string", _("Structure funded, if any.")),
        Field("annee", "integer", _("Year."), REQUIRED),
        Field("montant_prevu", "number", _("Planned amount in euros."), NOT_NEGATIVE),
        Field(
            "montant_verse",
            "number",
            _("Amount paid in euros (cancelled payments left out)."),
            {"required": True, "minimum": 0},
        ),
    ),
    ("ligne_id", "annee"),
)

INDICATORS = Resource(
    "indicateurs",
    _("Indicators"),
    _("The indicators of the action sheets: baseline and target."),
    (
        Field("id", "integer", _("Identifier of the indicator."), UNIQUE_KEY),
        Field("fiche_numero", "integer", _("Number of its action sheet."), REQUIRED),
        Field("libelle", "string", _("Label of the indicator."), REQUIRED),
        Field("unite", "string", _("Unit.")),
        Field(
            "type",
            "string",
            _("Kind code: result or means."),
            {"required": True, "enum": codes(Indicator.Kind.choices)},
        ),
        Field("valeur_reference", "number", _("Baseline value.")),
        Field("date_reference", "date", _("Date of the baseline (YYYY-MM-DD).")),
        Field("cible", "number", _("Target at the end of the period.")),
    ),
    ("id",),
    ((("fiche_numero",), "fiches", ("numero",)),),
)

VALUES = Resource(
    "indicateurs_valeurs",
    _("Indicator values"),
    _("The values measured for each indicator."),
    (
        Field("indicateur_id", "integer", _("Identifier of the indicator."), REQUIRED),
        Field("date_mesure", "date", _("Date of the measure (YYYY-MM-DD)."), REQUIRED),
        Field("valeur", "number", _("Value measured."), REQUIRED),
    ),
    ("indicateur_id", "date_mesure"),
    ((("indicateur_id",), "indicateurs", ("id",)),),
)

MEETINGS = Resource(
    "instances",
    _("Steering meetings"),
    _("The publishable meetings of the steering committees (cancelled ones left out)."),
    (
        Field("id", "integer", _("Identifier of the meeting."), UNIQUE_KEY),
        Field(
            "type",
            "string",
            _("Kind code of the meeting."),
            {"required": True, "enum": codes(Meeting.Kind.choices)},
        ),
        Field("type_libelle", "string", _("Kind of the meeting, in words."), REQUIRED),
        Field("titre", "string", _("Title of the meeting."), REQUIRED),
        Field("date", "date", _("Date of the meeting (YYYY-MM-DD)."), REQUIRED),
        Field("heure", "string", _("Start time (HH:MM, Paris time).")),
        Field("lieu", "string", _("Place.")),
        Field(
            "etat",
            "string",
            _("State code: planned or held."),
            {"required": True, "enum": codes(Meeting.State.choices)},
        ),
    ),
    ("id",),
)

# In the package's order: a file comes after those its foreign keys name.
RESOURCES = (OBJECTIVES, SHEETS, FUNDING, INDICATORS, VALUES, MEETINGS)
BY_FILENAME = {resource.filename: resource for resource in RESOURCES}
