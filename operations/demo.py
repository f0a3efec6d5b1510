"""Demonstration progress for the seed convention, so that its dashboard has something to show.

Made up, deterministic, dated within the period 2023–2025; the convention is flagged so that
every one of its pages says the data are a demonstration.
"""

import datetime
from decimal import Decimal

from django.db import transaction

from actions.models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step

D = datetime.date

# number: (status, progress, planned start, planned end, priority)
SHEETS = {
    1: ("in_progress", 60, D(2023, 1, 1), D(2025, 12, 31), "high"),
    2: ("in_progress", 40, D(2023, 3, 1), D(2025, 6, 30), "medium"),
    3: ("done", 100, D(2023, 1, 15), D(2024, 6, 30), "medium"),
    4: ("todo", 0, D(2024, 1, 1), D(2025, 9, 30), "high"),
    5: ("in_progress", 25, D(2023, 9, 1), D(2025, 6, 30), "medium"),
    6: ("done", 100, D(2023, 2, 1), D(2023, 12, 31), "high"),
    7: ("in_progress", 50, D(2023, 6, 1), D(2025, 3, 31), "medium"),
    8: ("paused", 20, D(2023, 5, 1), D(2024, 12, 31), "high"),
    9: ("in_progress", 35, D(2023, 10, 1), D(2025, 6, 30), "medium"),
    10: ("in_progress", 70, D(2023, 1, 1), D(2025, 12, 31), "high"),
    11: ("abandoned", 10, D(2023, 4, 1), D(2024, 3, 31), "low"),
    12: ("blocked", 15, D(2023, 9, 1), D(2024, 9, 30), "low"),
    13: ("in_progress", 80, D(2023, 1, 1), D(2025, 12, 31), "high"),
    14: ("todo", 0, D(2024, 9, 1), D(2025, 12, 31), "medium"),
    15: ("in_progress", 45, D(2023, 6, 1), D(2025, 6, 30), "medium"),
    16: ("done", 100, D(2023, 3, 1), D(2024, 12, 31), "low"),
}

# number: [(step title, due date, done date or None)]
STEPS = {
    1: [
        ("Rencontre avec les 8 structures", D(2023, 3, 31), D(2023, 3, 28)),
        ("Bilan annuel avec les gestionnaires", D(2025, 12, 15), None),
    ],
    2: [
        ("Soirée d’information sur le métier", D(2023, 10, 12), D(2023, 10, 12)),
        ("Campagne de communication", D(2025, 4, 30), None),
    ],
    4: [
        ("État des lieux des accueils périscolaires", D(2024, 6, 30), None),
        ("Charte commune de qualité", D(2025, 6, 30), None),
    ],
    6: [("Questionnaire aux jeunes de l’Est du territoire", D(2023, 6, 30), D(2023, 6, 20))],
    8: [("Réunion des professionnels de santé", D(2024, 3, 31), None)],
    10: [("Ateliers mémoire dans 3 communes", D(2024, 11, 30), D(2024, 11, 25))],
    13: [("Carte des lieux d’accès au numérique", D(2024, 2, 29), D(2024, 2, 20))],
    15: [("Premier comité de pilotage de l’EVS", D(2025, 10, 15), None)],
}

# number: [(date, text, publishable)]
NOTES = {
    1: [(D(2024, 11, 18), "Les 8 structures ont présenté leur bilan d’activité 2024.", True)],
    2: [(D(2023, 10, 13), "Une trentaine de participants à la soirée d’information.", True)],
    3: [(D(2024, 6, 25), "Coordination des 4 structures petite enfance effective.", True)],
    8: [(D(2024, 4, 5), "En attente de la réponse de l’ARS sur le projet de santé.", False)],
    12: [(D(2024, 5, 2), "Bloquée : pas de développeur disponible pour le guide.", False)],
    13: [(D(2025, 3, 10), "Permanences numériques ouvertes dans 5 communes.", True)],
}

# number: (label, unit, kind, baseline, target, [(date, value)]); all counts: no decimals.
INDICATORS = {
    1: (
        "Places d’accueil petite enfance",
        "places",
        "result",
        "96",
        "104",
        [(D(2023, 12, 31), "96"), (D(2024, 12, 31), "100"), (D(2025, 6, 30), "102")],
    ),
    10: (
        "Seniors participant aux ateliers",
        "personnes",
        "result",
        "0",
        "120",
        [(D(2023, 12, 31), "35"), (D(2024, 12, 31), "82")],
    ),
    13: (
        "Permanences numériques par mois",
        "permanences",
        "means",
        "2",
        "10",
        [(D(2023, 6, 30), "3"), (D(2024, 6, 30), "6"), (D(2025, 6, 30), "9")],
    ),
}


@transaction.atomic
def add_demo_progress(convention, author):
    """Apply the demonstration progress once. Returns False when it was already there."""
    if convention.has_demo_data:
        return False
    sheets = {s.number: s for s in ActionSheet.objects.filter(convention=convention)}
    for number, (status, progress, start, end, priority) in SHEETS.items():
        sheet = sheets.get(number)
        if sheet is None:
            continue
        sheet.status, sheet.progress, sheet.priority = status, progress, priority
        sheet.planned_start, sheet.planned_end = start, end
        sheet.version += 1
        sheet._history_user = author
        sheet.save()
    for number, steps in STEPS.items():
        if number in sheets:
            for position, (title, due, done) in enumerate(steps, start=1):
                Step.objects.create(
                    sheet=sheets[number], title=title, due_on=due, done_on=done, position=position
                )
    for number, notes in NOTES.items():
        if number in sheets:
            for written_on, text, public in notes:
                ProgressNote.objects.create(
                    sheet=sheets[number],
                    written_on=written_on,
                    text=text,
                    is_public=public,
                    author=author,
                )
    for number, (label, unit, kind, baseline, target, values) in INDICATORS.items():
        if number in sheets:
            indicator = Indicator.objects.create(
                sheet=sheets[number],
                label=label,
                unit=unit,
                kind=kind,
                baseline=Decimal(baseline),
                target=Decimal(target),
                decimals=Indicator.Decimals.NONE,  # each counts (places, people, sessions)
            )
            IndicatorValue.objects.bulk_create(
                IndicatorValue(indicator=indicator, measured_on=day, value=Decimal(value))
                for day, value in values
            )
    convention.has_demo_data = True
    convention.save(update_fields=["has_demo_data"])
    return True
