"""Demonstration progress for the seed convention, so that its dashboard has something to show,
and a realistic steering of it: meetings, decisions and documents.

Made up, deterministic, dated within the period 2023–2025; the convention is flagged so that
every one of its pages says the data are a demonstration.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from actions.models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step
from committees import services as committees
from committees.models import AgendaItem, Attendance, Decision, Meeting
from conventions.models import Partner, StrategicObjective
from documents.models import Document

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


def demo_moment(day, time):
    return timezone.make_aware(datetime.datetime.combine(day, time))


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
    epci = Partner.objects.filter(signatures__convention=convention, kind=Partner.Kind.EPCI)
    partners += list(epci.order_by("pk")[:1])

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
