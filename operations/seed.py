"""The first convention of the portal: the CTG of the Communauté de communes Thoré Montagne Noire.

Texts are copied exactly from the announcement of its signature (shared/seed/); the links
between enjeux, objectives, domains and sheets follow the seed README's reading, and every one
of them stays editable in the portal. Identifiers (INSEE codes, SIREN) are public data.
"""

import datetime
from decimal import Decimal

SLUG = "thore-montagne-noire-2023-2025"
SIGNED_ON = datetime.date(2022, 11, 30)

CONVENTION = {
    "title": "Convention Territoriale Globale de la Communauté de communes Thoré Montagne Noire",
    "territory": "Communauté de communes Thoré Montagne Noire (Tarn)",
    "start_year": 2023,
    "end_year": 2025,
    "signed_on": SIGNED_ON,
    "department": "81",  # the Tarn
}

EPCI = {"name": "Communauté de communes Thoré Montagne Noire", "siren": "248100745"}
# The CAF that holds the convention (its CAF-level members read it) and funds it.
CAF = {"name": "CAF du Tarn"}

# The 9 member communes of the EPCI.
MEMBER_COMMUNES = [
    ("Albine", "81005"),
    ("Bout-du-Pont-de-Larn", "81036"),
    ("Labastide-Rouairoux", "81115"),
    ("Lacabarède", "81121"),
    ("Le Rialet", "81223"),
    ("Rouairoux", "81231"),
    ("Saint-Amans-Valtoret", "81239"),
    ("Sauveterre", "81278"),
    ("Le Vintrou", "81321"),
]
# Signatories outside the EPCI (both in the CA Castres-Mazamet, not recorded here).
OTHER_COMMUNES = [
    ("Saint-Amans-Soult", "81238"),
    ("Pont-de-Larn", "81209"),
]

DOMAINS = [
    "Petite enfance",
    "Enfance",
    "Jeunesse",
    "Santé et handicap",
    "Seniors",
    "Accès aux droits et services",
    "Animation de la vie sociale",
]

CHALLENGES = [
    "Le soutien aux familles",
    "La lutte contre la désertification médicale",
    "L’inclusion des handicapés",
    "L’accompagnement du vieillissement",
    "L’amélioration de l’accès aux services et aux droits",
    "Le développement de l’animation territoriale pour améliorer le lien social",
]

# number, title, enjeu (index in CHALLENGES), domains (indexes in DOMAINS), sheet numbers
OBJECTIVES = [
    (
        1,
        "Conforter et renforcer les modes d’accueil individuels et collectifs des enfants et "
        "développer une stratégie enfance-jeunesse de territoire en lien avec les stratégies "
        "communales",
        [0],
        [0, 1, 2],
        [1, 2, 3, 4, 5, 6, 7],
    ),
    (
        2,
        "S’attacher à renforcer la présence médicale et avoir une politique territoriale",
        [1],
        [3],
        [8],
    ),
    (3, "Connaître les publics en situation de handicap", [2], [3], [9]),
    (
        4,
        "Informer et faire le lien entre les acteurs liés au vieillissement et développer des "
        "actions de prévention et lutter contre l’isolement",
        [3],
        [4],
        [10],
    ),
    (
        5,
        "Développer et promouvoir la proximité et l’accessibilité des services pour prévenir la "
        "précarité et les phénomènes d’exclusion",
        [4],
        [5],
        [11, 12, 13, 14],
    ),
    (6, "Favoriser l’action et l’implication citoyenne", [5], [6], [15]),
    (7, "Mieux intégrer les nouveaux habitants au territoire", [5], [6], [16]),
]

SHEETS = {
    1: "Maintenir et accompagner les 4 structures petite enfance et les 4 structures "
    "enfance/jeunesse existantes dans leur quotidien",
    2: "Promouvoir et accompagner le métier d’assistante maternelle par des actions de "
    "communication et des rencontres",
    3: "Etudier les possibilités de coordination entre les 4 structures petite enfance du territoire",
    4: "Harmoniser l’offre périscolaire et extrascolaire sur le territoire pour offrir la même "
    "qualité de service",
    5: "Valoriser les actions de parentalité mises en place et accompagner de nouvelles "
    "initiatives de parents pour toutes les tranches d’âge petite enfance, enfance et jeunesse",
    6: "Elaborer un diagnostic partagé spécifique au public jeune de l’Est du territoire afin "
    "d’identifier leurs besoins et attentes",
    7: "Déterminer les missions et coordinations du pôle enfance-jeunesse",
    8: "Tisser des liens entre les structures médicales du territoire",
    9: "Créer un groupe projet avec d’autres acteurs afin de repérer et connaître les besoins "
    "des personnes handicapées",
    10: "Lutter par des actions concrètes contre l’isolement des seniors et prévenir la vieillesse",
    11: "Réfléchir et évaluer l’opportunité d’un CIAS pour les communes ne disposant pas de CCAS",
    12: "Etudier l’opportunité d’un guide numérique des services en lien avec les applications "
    "existantes sur le territoire en veillant à son actualisation",
    13: "Coordonner les initiatives en matière d’accès et de formation au numérique et animer le "
    "réseau en partenariat avec la Maison France services de St-Amans-Soult",
    14: "Déterminer des leviers et les prioriser pour résoudre une partie des problèmes de mobilité",
    15: "Mettre en place un groupe de pilotage pour réfléchir et élaborer le projet social en vue "
    "d’une demande d’agrément d’Espace de vie sociale (EVS) itinérant",
    16: "Améliorer l’accueil des nouveaux habitants en lien avec les habitants du territoire",
}

# Sheets of objective 1 narrow its three domains down (a reading of their titles).
SHEET_DOMAINS = {
    1: [0, 1, 2],
    2: [0],
    3: [0],
    4: [1],
    5: [0, 1, 2],
    6: [2],
    7: [1, 2],
}

# The seed names 4 petite enfance and 4 enfance/jeunesse structures; the funded structures are
# read as those eight. Kinds are a reading of their names, editable in the portal.
# (line label, structure name or None, structure kind, category, amount per year)
FUNDING_LINES = [
    (
        "Coordination et animation de la CTG (une chargée de coopération CTG, une coordinatrice "
        "et un coordinateur de proximité)",
        None,
        None,
        "coordination",
        Decimal("40513"),
    ),
    ("La Petite Loco", "La Petite Loco", "eaje", "bonus", Decimal("40800")),
    ("Passerelle", "Passerelle", "eaje", "bonus", Decimal("34000")),
    ("Les Snorky’s", "Les Snorky’s", "eaje", "bonus", Decimal("34000")),
    ("MJC St-Amans/Albine", "MJC St-Amans/Albine", "youth", "bonus", Decimal("16782")),
    ("MJC St-Baudille", "MJC St-Baudille", "youth", "bonus", Decimal("3095")),
    ("Les Galopins", "Les Galopins", "eaje", "bonus", Decimal("25760")),
    (
        "Amicale laïque (périscolaire, extrascolaire et jeunesse)",
        "Amicale laïque",
        "after_school",
        "bonus",
        Decimal("29430"),
    ),
    ("SMIX de St-Amans", "SMIX de St-Amans", "alsh", "bonus", Decimal("17421")),
]
