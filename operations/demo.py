"""Demonstration progress for the seed convention, so that its dashboard has something to show,
a realistic steering of it (meetings, decisions and documents), and its yearly bilans and
evaluation (reviews of every sheet, the years' syntheses, a started evaluation).

Made up, deterministic, dated within the period 2023–2025; the convention is flagged so that
every one of its pages says the data are a demonstration. The history tells the same story:
the sheets' records are dated through the period (created at the signature, pilots named at
the launch COPIL, their state at the end of 2023, 2024 and 2025), so that the bilans' figures
"as of 31/12", read from the history, show each year as it was. No record is dated after the
moment the demonstration is loaded.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from actions.models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step
from bilans.models import SheetReview, YearBilan
from committees import services as committees
from committees.models import AgendaItem, Attendance, Decision, Meeting
from conventions.models import StrategicObjective
from documents.models import Document
from evaluations import services as evaluations
from evaluations.models import Evaluation, Question
from evaluations.perms import is_open

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

# number: {year: (status, progress) at the end of that year}; the end of 2025 is SHEETS'.
YEAR_STATES = {
    1: {2023: ("in_progress", 25), 2024: ("in_progress", 45)},
    2: {2023: ("in_progress", 15), 2024: ("in_progress", 30)},
    3: {2023: ("in_progress", 50), 2024: ("done", 100)},
    4: {2023: ("todo", 0), 2024: ("todo", 0)},
    5: {2023: ("in_progress", 5), 2024: ("in_progress", 15)},
    6: {2023: ("done", 100), 2024: ("done", 100)},
    7: {2023: ("in_progress", 20), 2024: ("in_progress", 35)},
    8: {2023: ("in_progress", 10), 2024: ("paused", 20)},
    9: {2023: ("in_progress", 10), 2024: ("in_progress", 25)},
    10: {2023: ("in_progress", 30), 2024: ("in_progress", 55)},
    11: {2023: ("in_progress", 10), 2024: ("abandoned", 10)},
    12: {2023: ("in_progress", 10), 2024: ("blocked", 15)},
    13: {2023: ("in_progress", 30), 2024: ("in_progress", 60)},
    14: {2023: ("todo", 0), 2024: ("todo", 0)},
    15: {2023: ("in_progress", 10), 2024: ("in_progress", 30)},
    16: {2023: ("in_progress", 40), 2024: ("done", 100)},
}
FINAL_YEAR = 2025

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

# number: (baseline date, baseline source, {year: target}); the last year's is the final
# target. 2023 ends below its target for sheets 1 and 13, 2024 reaches it for 1 and 10.
INDICATOR_TARGETS = {
    1: (
        D(2022, 12, 31),
        "Rapports d’activité 2022 des structures petite enfance",
        {"2023": "98", "2024": "100", "2025": "104"},
    ),
    10: (
        D(2022, 12, 31),
        "Diagnostic de la CTG : aucun atelier seniors avant 2023",
        {"2023": "30", "2024": "80", "2025": "120"},
    ),
    13: (
        D(2022, 12, 31),
        "Maison France services de St-Amans-Soult, relevé de décembre 2022",
        {"2023": "4", "2024": "7", "2025": "10"},
    ),
}


def past(moment):
    """`moment`, or now when it is still to come: no record is dated in the future."""
    return min(moment, timezone.now())


def demo_moment(day, time):
    return timezone.make_aware(datetime.datetime.combine(day, time))


# The launch COPIL (15/06/2023) named the pilots; steps and indicators were set then.
LAUNCH = (D(2023, 6, 15), datetime.time(17, 0))


def year_end_moment(year):
    """When the demonstration records a sheet's state of `year`: mid-December."""
    return past(demo_moment(D(year, 12, 12), datetime.time(18, 0)))


@transaction.atomic
def add_demo_progress(convention, author):
    """Apply the demonstration progress once. Returns False when it was already there."""
    if convention.has_demo_data:
        return False
    sheets = {s.number: s for s in ActionSheet.objects.filter(convention=convention)}
    # The seed's records of the sheets' creation are dated when the seed was loaded: they go
    # back to the signature, before the records of the years below.
    signed = past(demo_moment(convention.signed_on or D(2022, 11, 30), datetime.time(10, 0)))
    ActionSheet.history.filter(
        id__in=[s.pk for n, s in sheets.items() if n in SHEETS],
        history_type="+",
        history_date__gt=signed,
    ).update(history_date=signed)
    for number, (status, progress, start, end, priority) in SHEETS.items():
        sheet = sheets.get(number)
        if sheet is None:
            continue
        sheet.priority = priority
        sheet.planned_start, sheet.planned_end = start, end
        # One record of the sheet's state at the end of each year: what the bilans read.
        states = {**YEAR_STATES.get(number, {}), FINAL_YEAR: (status, progress)}
        for year, (year_status, year_progress) in sorted(states.items()):
            sheet.status, sheet.progress = year_status, year_progress
            sheet.version += 1
            sheet._history_user = author
            sheet._history_date = year_end_moment(year)
            sheet.save()
        del sheet._history_date
    launch = past(demo_moment(*LAUNCH))
    for number, steps in STEPS.items():
        if number in sheets:
            for position, (title, due, done) in enumerate(steps, start=1):
                step = Step(
                    sheet=sheets[number], title=title, due_on=due, done_on=done, position=position
                )
                step._history_date = launch
                step.save()
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
            baseline_date, source, yearly = INDICATOR_TARGETS[number]
            indicator = Indicator(
                sheet=sheets[number],
                label=label,
                unit=unit,
                kind=kind,
                baseline=Decimal(baseline),
                baseline_date=baseline_date,
                baseline_source=source,
                target=Decimal(target),
                yearly_targets=yearly,
                decimals=Indicator.Decimals.NONE,  # each counts (places, people, sessions)
            )
            indicator._history_date = launch
            indicator.save()
            IndicatorValue.objects.bulk_create(
                IndicatorValue(indicator=indicator, measured_on=day, value=Decimal(value))
                for day, value in values
            )
    convention.has_demo_data = True
    convention.save(update_fields=["has_demo_data"])
    return True


# --- steering: meetings, decisions, documents ----------------------------------------------

T = datetime.time

# (kind, title, date, time, place, publishable, minutes)
MEETINGS = [
    (
        "copil",
        "Comité de pilotage de lancement",
        D(2023, 6, 15),
        T(14, 0),
        "Mairie de Labruguière, salle du conseil",
        False,
        "Présentation de la convention signée et des 16 fiches actions. Les partenaires "
        "valident la feuille de route 2023 et désignent les pilotes des fiches.",
    ),
    (
        "cotech",
        "Comité technique — suivi des fiches petite enfance et jeunesse",
        D(2023, 11, 9),
        T(9, 30),
        "Communauté de communes, Labruguière",
        False,
        "Point d’étape des fiches 1 à 8. La fiche 8 attend l’avis des professionnels de santé.",
    ),
    (
        "cotech",
        "Comité technique — bilan du premier semestre 2024",
        D(2024, 4, 11),
        T(9, 30),
        "Communauté de communes, Labruguière",
        False,
        "Le guide numérique de la fiche 12 n’a pas trouvé de prestataire. Les ateliers "
        "mémoire de la fiche 10 se poursuivent dans trois communes.",
    ),
    (
        "copil",
        "Comité de pilotage annuel 2024",
        D(2024, 11, 21),
        T(14, 0),
        "Mairie de Labruguière, salle du conseil",
        True,
        "Bilan 2024 présenté par la coordination. Le démarrage de la fiche 14 est reporté à "
        "janvier 2025 ; les permanences numériques s’étendent à deux nouvelles communes.",
    ),
    (
        "cotech",
        "Comité technique — préparation de l’évaluation",
        D(2025, 5, 15),
        T(9, 30),
        "Communauté de communes, Labruguière",
        False,
        "Préparation de l’évaluation finale de la convention. La campagne de communication "
        "sur le métier d’assistant maternel reste à lancer.",
    ),
]

# meeting index: [(agenda item title, objective positions (1-based), sheet numbers)]
AGENDAS = {
    0: [
        ("Présentation de la convention et de ses objectifs", [1, 2], []),
        ("Feuille de route 2023 des fiches petite enfance", [1], [1, 2, 3, 4]),
    ],
    1: [
        ("Suivi des fiches petite enfance", [1], [1, 2, 3]),
        ("Accès aux soins des jeunes", [], [8]),
    ],
    2: [
        ("Guide numérique des démarches", [], [12]),
        ("Ateliers mémoire des seniors", [], [10]),
    ],
    3: [
        ("Bilan 2024 des fiches", [1, 2], [1, 10, 13]),
        ("Calendrier de la fiche 14", [], [14]),
    ],
    4: [
        ("Préparation de l’évaluation finale", [1], []),
        ("Communication sur le métier d’assistant maternel", [], [2]),
    ],
}

# meeting index: [(text, sheet numbers, owner username or None, due date, state,
#                  new planned start applied to the sheets or None)]
DECISIONS = {
    0: [
        (
            "Valider la feuille de route 2023 des fiches petite enfance.",
            [1, 2],
            "coordination",
            D(2023, 9, 30),
            "done",
            None,
        ),
    ],
    1: [
        (
            "Réunir les professionnels de santé du territoire avant la fin du premier trimestre.",
            [8],
            "coordination",
            D(2024, 3, 31),
            "done",
            None,
        ),
    ],
    2: [
        (
            "Abandonner le prestataire unique du guide numérique ; chercher un partenariat.",
            [12],
            None,
            None,
            "abandoned",
            None,
        ),
        (
            "Présenter le bilan des ateliers mémoire au prochain COPIL.",
            [10],
            "coordination",
            D(2024, 11, 21),
            "done",
            None,
        ),
    ],
    3: [
        (
            "Reporter le démarrage de la fiche 14 à janvier 2025.",
            [14],
            "coordination",
            None,
            "done",
            D(2025, 1, 1),
        ),
        (
            "Étendre les permanences numériques à deux nouvelles communes.",
            [13],
            "coordination",
            D(2025, 3, 31),
            "done",
            None,
        ),
    ],
    4: [
        # Still open, its due date passed: the overdue decision of the demonstration.
        (
            "Lancer la campagne de communication sur le métier d’assistant maternel.",
            [2],
            "pilote",
            D(2025, 9, 30),
            "open",
            None,
        ),
        (
            "Rédiger le cahier des charges de l’évaluation finale.",
            [],
            "coordination",
            None,
            "open",
            None,
        ),
    ],
}

# The attendance of each meeting: the demonstration accounts, then the partners of the
# convention: its CAF and its EPCI.
ATTENDANCE = {
    0: {"coordination": "present", "pilote": "present", "elu": "present", "caf": "present"},
    1: {"coordination": "present", "pilote": "present", "caf": "present"},
    2: {"coordination": "present", "pilote": "excused", "caf": "present"},
    3: {"coordination": "present", "pilote": "present", "elu": "present", "caf": "present"},
    4: {"coordination": "present", "pilote": "present", "elu": "absent", "caf": "excused"},
}

# (kind, title, date, link or None, attached to: ("convention",) | ("sheet", number) |
#  ("meeting", index) | ("year", year), publishable, file text for a generated PDF or None)
DOCUMENTS = [
    (
        "signed_convention",
        "Convention territoriale globale signée",
        D(2022, 12, 1),
        "https://www.caf.fr/partenaires/caf-du-tarn",
        ("convention",),
        True,
        None,
    ),
    (
        "diagnostic",
        "Carte des lieux d’accès au numérique",
        D(2024, 2, 20),
        "https://www.tarn.fr/",
        ("sheet", 13),
        True,
        None,
    ),
    (
        "minutes",
        "Compte rendu du comité de pilotage annuel 2024",
        D(2024, 11, 28),
        None,
        ("meeting", 3),
        True,
        ["Compte rendu du COPIL du 21/11/2024", "Bilan 2024 et calendrier de la fiche 14."],
    ),
    (
        "voucher",
        "Justificatif des versements 2024",
        D(2025, 1, 31),
        None,
        ("year", 2024),
        False,
        ["Justificatif des versements 2024", "Etat recapitulatif des paiements."],
    ),
]


def tiny_pdf(lines):
    """A small valid PDF (one A4 page, Helvetica) showing `lines` (plain ASCII text)."""
    text = " ".join(f"({line.encode('ascii', 'replace').decode()}) Tj 0 -20 Td" for line in lines)
    stream = f"BT /F1 14 Tf 72 770 Td {text} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def has_demo_steering(convention):
    return Meeting.objects.filter(convention=convention, title=MEETINGS[0][1]).exists()


@transaction.atomic
def add_demo_steering(convention, author):
    """Add the demonstration steering (meetings, attendance, agendas, decisions, documents)
    once. Returns False when it was already there.

    A decision of the 2024 COPIL is applied to its sheet through committees.services, so that
    the sheet's history says "décision du COPIL du 21/11/2024"; files are small PDFs written
    to the documents' storage under random names.
    """
    if has_demo_steering(convention):
        return False
    User = get_user_model()
    people = {
        user.username: user
        for user in User.objects.filter(username__in=["coordination", "pilote", "elu", "caf"])
    }
    sheets = {s.number: s for s in ActionSheet.objects.filter(convention=convention)}
    objectives = list(StrategicObjective.objects.filter(convention=convention).order_by("pk"))
    partners = []
    if convention.caf_id:
        partners.append(convention.caf)
    if convention.epci_id:
        partners.append(convention.epci)

    meetings = []
    for index, (kind, title, day, time, place, public, minutes) in enumerate(MEETINGS):
        meeting = Meeting(
            convention=convention,
            kind=kind,
            title=title,
            starts_at=demo_moment(day, time),
            place=place,
            state=Meeting.State.HELD,
            minutes=minutes,
            is_public=public,
        )
        meeting._history_user = author
        meeting.save()
        meetings.append(meeting)
        attendances = [
            Attendance(meeting=meeting, user=people[name], status=status)
            for name, status in ATTENDANCE[index].items()
            if name in people
        ]
        attendances += [
            Attendance(meeting=meeting, partner=partner, status=Attendance.Status.PRESENT)
            for partner in partners
        ]
        Attendance.objects.bulk_create(attendances)
        for position, (item_title, positions, numbers) in enumerate(AGENDAS[index], start=1):
            item = AgendaItem.objects.create(meeting=meeting, position=position, title=item_title)
            item.objectives.set(objectives[p - 1] for p in positions if p <= len(objectives))
            item.sheets.set(sheets[n] for n in numbers if n in sheets)
        for text, numbers, owner, due, state, new_start in DECISIONS[index]:
            concerned = [sheets[n] for n in numbers if n in sheets]
            decision = Decision(
                meeting=meeting,
                text=text,
                owner=people.get(owner),
                due_on=due,
                state=state,
                new_planned_start=new_start,
            )
            if decision.changes_sheets and concerned:
                committees.apply_to_sheets(
                    decision, concerned, {s.pk: s.version for s in concerned}, author
                )
            decision._history_user = author
            decision.save()
            decision.sheets.set(concerned)

    for kind, title, day, url, attached, public, pdf_lines in DOCUMENTS:
        document = Document(
            convention=convention,
            kind=kind,
            title=title,
            date=day,
            url=url or "",
            publishable=public,
            uploaded_by=author,
        )
        if attached[0] == "sheet":
            document.sheet = sheets.get(attached[1])
        elif attached[0] == "meeting":
            document.meeting = meetings[attached[1]]
        elif attached[0] == "year":
            document.funding_year = attached[1]
        if pdf_lines:
            content = tiny_pdf(pdf_lines)
            document.original_name = f"{slugify(title)}.pdf"
            document.size = len(content)
            document.content_type = "application/pdf"
            document.file = ContentFile(content, name=document.original_name)
        document._history_user = author
        try:
            document.save()
        except BaseException:
            # The storage is no transaction: a file just written is removed.
            if document.file and document.file._committed:
                document.file.storage.delete(document.file.name)
            raise
    return True


# --- the yearly bilans and the evaluation ----------------------------------------------------

# year: {sheet number: (achievements, difficulties, adjustments, status proposed for next year)}
REVIEWS = {
    2023: {
        1: (
            "Les 8 structures ont été rencontrées dès mars ; un temps d’échange trimestriel "
            "réunit désormais les directrices petite enfance et les responsables jeunesse.",
            "Deux structures ont connu des départs de personnel qui ont retardé les échanges.",
            "Formaliser en 2024 un calendrier commun des réunions et un tableau de bord partagé.",
            "in_progress",
        ),
        2: (
            "Soirée d’information sur le métier d’assistante maternelle le 12 octobre : une "
            "trentaine de participants.",
            "Peu de candidates au-delà de la soirée ; le relais petite enfance manque de temps.",
            "Préparer une campagne de communication avec le relais petite enfance en 2024.",
            "in_progress",
        ),
        3: (
            "Première rencontre des 4 structures petite enfance ; un état des besoins de "
            "remplacement du personnel a été dressé.",
            "Les règlements de fonctionnement diffèrent d’une structure à l’autre.",
            "Proposer un pool de remplacement commun et harmoniser les règlements en 2024.",
            "in_progress",
        ),
        4: (
            "Fiche non démarrée en 2023, comme prévu : son démarrage est programmé en 2024.",
            "Aucune.",
            "Lancer l’état des lieux des accueils périscolaires au premier semestre 2024.",
            "in_progress",
        ),
        5: (
            "Recensement des actions de parentalité existantes auprès des communes et des "
            "centres sociaux.",
            "Démarrage tardif (septembre) : peu d’actions nouvelles en 2023.",
            "Réunir les parents porteurs d’initiatives au printemps 2024.",
            "in_progress",
        ),
        6: (
            "Diagnostic jeunesse de l’Est du territoire réalisé : questionnaire rempli par 140 "
            "jeunes et restitution aux élus en décembre.",
            "Faible participation des 18-25 ans au questionnaire.",
            "Les pistes du diagnostic sont reprises par la fiche 7 (pôle enfance-jeunesse).",
            "done",
        ),
        7: (
            "Groupe de travail sur les missions du pôle enfance-jeunesse constitué avec les "
            "communes.",
            "Les attentes des communes sur la coordination restent à concilier.",
            "Rédiger en 2024 la fiche de poste de la coordination enfance-jeunesse.",
            "in_progress",
        ),
        8: (
            "Premiers contacts avec la maison de santé de Labruguière et deux cabinets infirmiers.",
            "Les professionnels de santé sont peu disponibles pour des réunions.",
            "Organiser une réunion des professionnels de santé avant la fin mars 2024.",
            "in_progress",
        ),
        9: (
            "Groupe projet handicap constitué en octobre avec l’ADAPEI et deux familles.",
            "Les données sur les enfants en situation de handicap sont dispersées.",
            "Recueillir les besoins des familles par entretiens en 2024.",
            "in_progress",
        ),
        10: (
            "Ateliers mémoire lancés dans une première commune : 35 seniors y ont participé.",
            "Le transport des seniors des hameaux reste difficile.",
            "Étendre les ateliers à trois communes et organiser un covoiturage solidaire.",
            "in_progress",
        ),
        11: (
            "Étude des besoins d’action sociale des communes sans CCAS engagée avec le "
            "Département.",
            "Les communes hésitent sur le coût d’un CIAS.",
            "Présenter aux élus un chiffrage du CIAS début 2024 avant de décider.",
            "in_progress",
        ),
        12: (
            "Inventaire des applications et sites existants sur le territoire.",
            "Aucun prestataire n’a répondu à la première consultation.",
            "Relancer la consultation en 2024 ou chercher un partenariat.",
            "in_progress",
        ),
        13: (
            "Réseau des lieux d’accès au numérique animé avec la Maison France services : "
            "3 permanences par mois en fin d’année.",
            "Peu de bénévoles formés pour tenir les permanences.",
            "Cartographier les lieux d’accès au numérique et former de nouveaux bénévoles.",
            "in_progress",
        ),
        14: (
            "Fiche non démarrée en 2023 : le travail sur la mobilité commencera en 2024.",
            "Aucune.",
            "Associer l’autorité organisatrice des mobilités dès le démarrage.",
            "todo",
        ),
        15: (
            "Groupe de pilotage du projet d’EVS itinérant réuni deux fois.",
            "Le portage du projet (association ou collectivité) n’est pas arrêté.",
            "Choisir le porteur du projet et rédiger le pré-projet social en 2024.",
            "in_progress",
        ),
        16: (
            "Livret d’accueil des nouveaux habitants rédigé avec les communes.",
            "Les nouveaux arrivants ne sont pas connus des communes avant leur installation.",
            "Organiser une soirée d’accueil annuelle et diffuser le livret en mairie.",
            "in_progress",
        ),
    },
    2024: {
        1: (
            "Réunions trimestrielles tenues ; les 8 structures ont présenté leur bilan "
            "d’activité. 100 places d’accueil petite enfance, objectif de l’année atteint.",
            "Tensions de recrutement dans deux structures enfance.",
            "Mutualiser les offres d’emploi et les formations entre structures en 2025.",
            "in_progress",
        ),
        2: (
            "Plaquette sur le métier d’assistante maternelle réalisée avec le relais petite "
            "enfance.",
            "La campagne de communication n’a pas pu être lancée faute de budget.",
            "Lancer la campagne au premier semestre 2025.",
            "in_progress",
        ),
        3: (
            "Coordination des 4 structures petite enfance effective depuis juin : pool de "
            "remplacement et règlements harmonisés.",
            "Aucune difficulté majeure.",
            "Fiche achevée : la coordination se poursuit dans le cadre de la fiche 1.",
            "done",
        ),
        4: (
            "État des lieux des accueils périscolaires engagé auprès de 6 communes sur 11.",
            "L’état des lieux n’a pas été achevé au 30 juin comme prévu (étape en retard).",
            "Achever l’état des lieux et préparer la charte commune de qualité en 2025.",
            "in_progress",
        ),
        5: (
            "Deux cafés des parents ouverts ; accompagnement d’un collectif de parents d’ados.",
            "Fréquentation irrégulière des cafés des parents en été.",
            "Caler les cafés des parents sur le calendrier scolaire.",
            "in_progress",
        ),
        6: (
            "Fiche achevée en 2023 ; ses conclusions ont nourri le projet du pôle "
            "enfance-jeunesse.",
            "Aucune.",
            "Aucun ajustement : fiche close.",
            "done",
        ),
        7: (
            "Missions du pôle enfance-jeunesse définies et fiche de poste de coordination "
            "validée par les communes.",
            "Le financement du poste de coordination reste à boucler.",
            "Recruter la coordination enfance-jeunesse en 2025.",
            "in_progress",
        ),
        8: (
            "Réunion des professionnels de santé tenue en mars ; un projet de santé est "
            "déposé auprès de l’ARS.",
            "En attente de la réponse de l’ARS : fiche mise en pause.",
            "Reprendre la fiche dès la réponse de l’ARS.",
            "paused",
        ),
        9: (
            "Entretiens avec 12 familles d’enfants en situation de handicap.",
            "Difficulté à toucher les adultes en situation de handicap isolés.",
            "Associer la maison départementale des personnes handicapées au groupe projet.",
            "in_progress",
        ),
        10: (
            "Ateliers mémoire dans 3 communes : 82 seniors y ont participé, au-delà de "
            "l’objectif de l’année.",
            "Le covoiturage solidaire peine à trouver des conducteurs.",
            "Ajouter des ateliers numériques pour les seniors en 2025.",
            "in_progress",
        ),
        11: (
            "Chiffrage du CIAS présenté aux élus en février.",
            "Les communes ont renoncé au CIAS : coût jugé trop élevé.",
            "Fiche abandonnée ; l’accès aux droits passe par la Maison France services.",
            "abandoned",
        ),
        12: (
            "Cahier des charges du guide numérique rédigé.",
            "Pas de développeur disponible : la fiche est bloquée.",
            "Chercher un partenariat avec une application départementale existante.",
            "blocked",
        ),
        13: (
            "Carte des lieux d’accès au numérique publiée ; 6 permanences par mois.",
            "Objectif de 7 permanences mensuelles non atteint faute de bénévoles.",
            "Étendre les permanences à deux nouvelles communes (décision du COPIL).",
            "in_progress",
        ),
        14: (
            "Premiers échanges avec l’autorité organisatrice des mobilités.",
            "Le démarrage prévu en septembre a été reporté.",
            "Démarrer en janvier 2025, comme décidé par le COPIL.",
            "todo",
        ),
        15: (
            "Porteur du projet d’EVS choisi ; pré-projet social rédigé.",
            "Le véhicule de l’EVS itinérant n’est pas financé.",
            "Déposer la demande d’agrément EVS auprès de la CAF en 2025.",
            "in_progress",
        ),
        16: (
            "Deux soirées d’accueil des nouveaux habitants ; livret diffusé dans toutes les "
            "mairies.",
            "Aucune difficulté majeure.",
            "Fiche achevée : l’accueil se poursuit chaque année dans les communes.",
            "done",
        ),
    },
}

# 2025, still under way: sheet numbers of the reviews submitted and of the drafts (the
# others, not started, show as missing on the year's page).
SUBMITTED_2025 = [1, 3, 6, 10, 13, 16]
DRAFTS_2025 = {
    2: "Campagne de communication sur le métier en préparation avec le relais petite enfance.",
    5: "Les cafés des parents se poursuivent dans les deux communes.",
    7: "Recrutement de la coordination enfance-jeunesse en cours.",
    8: "",
    9: "La maison départementale des personnes handicapées a rejoint le groupe projet.",
    15: "Demande d’agrément EVS en cours de rédaction.",
}
TEXT_2025 = {
    1: (
        "Les 8 structures poursuivent leurs échanges ; 102 places d’accueil à mi-année.",
        "Recrutements toujours difficiles dans les structures enfance.",
        "Intégrer la coordination des structures au futur projet de territoire.",
        "in_progress",
    ),
    3: (
        "La coordination petite enfance fonctionne sans appui supplémentaire.",
        "Aucune.",
        "Aucun ajustement : fiche close.",
        "done",
    ),
    6: (
        "Fiche close depuis 2023 ; le diagnostic reste la référence du pôle jeunesse.",
        "Aucune.",
        "Actualiser le diagnostic lors de la prochaine convention.",
        "done",
    ),
    10: (
        "Ateliers mémoire et numériques pour les seniors dans 4 communes.",
        "Le covoiturage solidaire reste fragile.",
        "Pérenniser les ateliers avec le centre social intercommunal.",
        "in_progress",
    ),
    13: (
        "9 permanences numériques par mois dans 7 communes.",
        "Renouvellement des bénévoles.",
        "Inscrire les permanences dans le réseau France services.",
        "in_progress",
    ),
    16: (
        "Soirée d’accueil des nouveaux habitants tenue en septembre.",
        "Aucune.",
        "Aucun ajustement.",
        "done",
    ),
}

# year: (created, submitted, validated moments (day, time)), the meeting approving the
# reviews, named by its date (None: validated without a meeting). The reviews of 2024 were
# presented at the annual COPIL of 21/11/2024 ("Bilan 2024 présenté"); the demonstration
# holds no COPIL after the end of 2023 that could approve the 2023 reviews before that.
REVIEW_TIMES = {
    2023: ((D(2024, 1, 15), T(10, 0)), (D(2024, 1, 22), T(16, 0)), (D(2024, 2, 5), T(11, 0))),
    2024: ((D(2024, 11, 4), T(10, 0)), (D(2024, 11, 12), T(16, 0)), (D(2024, 11, 21), T(17, 0))),
    2025: ((D(2025, 11, 10), T(10, 0)), (D(2025, 11, 20), T(16, 0)), None),
}
APPROVING_COPIL = {2023: None, 2024: D(2024, 11, 21)}

# year: (moment written, synthesis)
SYNTHESES = {
    2023: (
        (D(2024, 2, 5), T(15, 0)),
        "Première année de la convention : 14 fiches sur 16 ont démarré et le diagnostic "
        "jeunesse de l’Est du territoire est achevé. Les fiches petite enfance avancent grâce "
        "aux échanges réguliers entre structures ; l’accès aux soins et le guide numérique "
        "rencontrent leurs premières difficultés. Les ateliers mémoire dépassent leur "
        "objectif ; les permanences numériques restent en deçà du leur.",
    ),
    2024: (
        (D(2024, 11, 25), T(15, 0)),
        "Deuxième année : 3 fiches sont achevées (coordination petite enfance, diagnostic "
        "jeunesse, accueil des nouveaux habitants). Le COPIL du 21/11/2024 a validé les "
        "bilans des fiches, pris acte de l’abandon du CIAS et reporté la fiche mobilité à "
        "janvier 2025. Les places d’accueil et la participation des seniors atteignent leurs "
        "objectifs de l’année ; les permanences numériques progressent sans les atteindre.",
    ),
}

# objective number: {question: (rating, evidence, indicator of these sheets)}
EVALUATION = {
    1: {
        Question.RELEVANCE: (
            4,
            "L’offre d’accueil petite enfance et enfance répondait à un besoin fort relevé "
            "par le diagnostic de la CTG.",
            [],
        ),
        Question.EFFECTIVENESS: (
            3,
            "100 places d’accueil fin 2024 (96 au départ) ; la coordination des structures "
            "petite enfance est effective, le périscolaire reste à harmoniser.",
            [1],
        ),
        Question.EFFICIENCY: (
            3,
            "Les bonus territoire ont financé le fonctionnement des structures sans surcoût "
            "de coordination.",
            [],
        ),
    },
    4: {
        Question.RELEVANCE: (
            4,
            "L’isolement des seniors des hameaux était un enjeu partagé par toutes les communes.",
            [],
        ),
        Question.EFFECTIVENESS: (
            4,
            "82 seniors ont participé aux ateliers en 2024, au-delà de l’objectif de l’année.",
            [10],
        ),
        Question.DURABILITY: (
            2,
            "Les ateliers dépendent encore du financement de la CTG et du covoiturage bénévole.",
            [],
        ),
    },
    5: {
        Question.RELEVANCE: (
            3,
            "L’accès aux services de proximité reste prioritaire ; le CIAS n’a pas convaincu.",
            [],
        ),
        Question.EFFECTIVENESS: (
            2,
            "Les permanences numériques progressent (9 par mois) mais le guide numérique est "
            "bloqué et la mobilité a démarré tard.",
            [13],
        ),
    },
}
CONCLUSION = (
    "La convention a structuré la coopération entre les communes, la communauté de communes "
    "et la CAF autour de l’enfance, de la jeunesse et de l’accès aux services. Les objectifs "
    "petite enfance et seniors sont largement atteints ; l’accès aux soins et la mobilité "
    "appellent une nouvelle stratégie."
)


@dataclass
class DemoBilans:
    """What `add_demo_bilans` added (all zero: already there)."""

    targets: int = 0  # indicators given their baseline and yearly targets
    validated: int = 0
    submitted: int = 0
    drafts: int = 0
    syntheses: int = 0
    answers: int = 0


def has_demo_bilans(convention):
    return SheetReview.objects.filter(sheet__convention=convention).exists()


@transaction.atomic
def add_demo_bilans(convention, author, today=None):
    """Add the demonstration's bilans once: the indicators' baselines and yearly targets (when
    the demonstration progress was added before they existed), validated reviews of every
    sheet for 2023 and 2024, the reviews of 2025 under way (some submitted, some drafts, some
    missing), the syntheses of 2023 and 2024, and a started evaluation. Only years begun on
    `today` get reviews; the evaluation only once it is open (the last year).

    Written through model saves with their history (who, dated when each step happened) and
    versions moving as the bilans' services move them; the evaluation through its services.
    """
    today = today or timezone.localdate()
    added = DemoBilans(targets=add_demo_targets(convention, author))
    if has_demo_bilans(convention):
        return added
    User = get_user_model()
    pilot = User.objects.filter(username="pilote").first()
    sheets = {
        s.number: s
        for s in ActionSheet.objects.filter(convention=convention).prefetch_related("pilots")
    }
    meetings = {
        m.local_date: m
        for m in Meeting.objects.filter(convention=convention, kind=Meeting.Kind.COPIL)
    }

    def writer(sheet):
        # A sheet's pilot writes its review when the demonstration pilot pilots it.
        return pilot if pilot is not None and pilot in sheet.pilots.all() else author

    for year, texts in REVIEWS.items():
        if year not in convention.years or year > today.year:
            continue
        meeting = meetings.get(APPROVING_COPIL.get(year))
        for number, text in texts.items():
            if number in sheets:
                write_review(
                    sheets[number], year, text, writer(sheets[number]), author, meeting=meeting
                )
                added.validated += 1
    if FINAL_YEAR in convention.years and today.year >= FINAL_YEAR:
        for number, text in TEXT_2025.items():
            if number in sheets and number in SUBMITTED_2025:
                write_review(sheets[number], FINAL_YEAR, text, writer(sheets[number]))
                added.submitted += 1
        for number, achievements in DRAFTS_2025.items():
            if number in sheets:
                text = (achievements, "", "", "")
                write_review(sheets[number], FINAL_YEAR, text, writer(sheets[number]), draft=True)
                added.drafts += 1
    for year, (when, synthesis) in SYNTHESES.items():
        if year in convention.years and year < today.year:
            bilan, created = YearBilan.objects.get_or_create(
                convention=convention, year=year, defaults={"synthesis": ""}
            )
            if created or not bilan.synthesis:
                bilan.synthesis = synthesis
                bilan._history_user = author
                bilan._history_date = past(demo_moment(*when))
                if not created:
                    bilan.version += 1
                bilan.save()
                added.syntheses += 1
    if is_open(convention, today) and not Evaluation.objects.filter(convention=convention).exists():
        added.answers = add_demo_evaluation(convention, author)
    return added


def write_review(sheet, year, text, writer, validator=None, *, meeting=None, draft=False):
    """A review of `sheet` for `year` as its authors wrote it: a draft by `writer`, then
    (unless `draft`) submitted by them, then validated by `validator` (when given) naming
    `meeting`; one history record each, dated from REVIEW_TIMES, its version moving with
    each (as bilans.services moves it)."""
    achievements, difficulties, adjustments, proposed = text
    created, submitted, validated = REVIEW_TIMES[year]
    review = SheetReview(
        sheet=sheet,
        year=year,
        achievements=achievements,
        difficulties=difficulties,
        adjustments=adjustments,
        proposed_status=proposed,
    )
    review._history_user = writer
    review._history_date = past(demo_moment(*created))
    review.save()
    if draft:
        return review
    review.state = SheetReview.State.SUBMITTED
    review.submitted_by, review.submitted_at = writer, past(demo_moment(*submitted))
    review._history_date = review.submitted_at
    review.version += 1
    review.save()
    if validator is None or validated is None:
        return review
    review.state = SheetReview.State.VALIDATED
    review.validated_by, review.validated_at = validator, past(demo_moment(*validated))
    review.validated_meeting = meeting
    review._history_user = validator
    review._history_date = review.validated_at
    review.version += 1
    review.save()
    return review


def add_demo_targets(convention, author):
    """Give the demonstration indicators their baseline (date, source) and yearly targets when
    they have none (a demonstration loaded before indicators had them). Returns how many."""
    count = 0
    for number, (label, *_rest) in INDICATORS.items():
        baseline_date, source, yearly = INDICATOR_TARGETS[number]
        indicator = Indicator.objects.filter(
            sheet__convention=convention, sheet__number=number, label=label
        ).first()
        if indicator is None or indicator.yearly_targets:
            continue
        indicator.yearly_targets = yearly
        indicator.baseline_date = indicator.baseline_date or baseline_date
        indicator.baseline_source = indicator.baseline_source or source
        indicator._history_user = author
        indicator.save()
        count += 1
    return count


def add_demo_evaluation(convention, author):
    """A started evaluation, through the evaluation's services: some objectives rated with
    their evidence and indicators, the conclusion begun. Returns the number of answers."""
    objectives = {o.number: o for o in StrategicObjective.objects.filter(convention=convention)}
    indicators = {
        i.sheet.number: i
        for i in Indicator.objects.filter(sheet__convention=convention).select_related("sheet")
    }
    count = 0
    for number, questions in EVALUATION.items():
        objective = objectives.get(number)
        if objective is None:
            continue
        answers = {
            question: evaluations.Answer(
                rating=rating,
                evidence=evidence,
                indicators=[
                    indicators[n]
                    for n in sheets
                    if n in indicators and indicators[n].sheet.objective_id == objective.pk
                ],
                version=1,
            )
            for question, (rating, evidence, sheets) in questions.items()
        }
        count += len(evaluations.save_objective(convention, objective, answers, author))
    evaluations.save_conclusion(convention, CONCLUSION, "", 1, author)
    return count
