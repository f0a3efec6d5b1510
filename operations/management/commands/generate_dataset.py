"""A realistic national dataset for load tests and query-count guards, created in bulk.

    python manage.py generate_dataset --conventions 1000

1 000 conventions across 100 CAFs (each CAF holds the conventions of its département: several
per CAF, CAF k in the k-th département code), ~16 sheets each (12 to 50) with steps,
indicators, values and notes, 9 funding lines each with yearly amounts and payments, 5 users
per convention, and per CAF two CAF-level members who read all of that CAF's conventions: a
manager (`<prefix>-caf-<k>`, who also manages their funding) and a staff member
(`<prefix>-caf-<k>-agent`); --meetings meetings per convention (4 by default) with their
attendance, agenda and two decisions each, and two link documents per convention; unless
--no-bilans, the yearly reviews of every sheet for each begun year (validated for the years
ended, under way for the current one), the syntheses of the years ended and, once the
convention's last year has come, an evaluation with a few answers. --sheets N gives every
convention N sheets (a 300-sheet convention's bilan: `--conventions 1 --sheets 300`).
Deterministic for a given --seed. Every user's password is --password (default
"bench-password"). Bulk data: no e-mail goes out (`muted`).
"""

import argparse
import datetime
import random
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.notifications import muted
from actions.models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step
from bilans.models import SheetReview, YearBilan
from committees.models import AgendaItem, Attendance, Decision, Meeting
from conventions.models import (
    CafMembership,
    Challenge,
    Convention,
    Domain,
    Membership,
    Partner,
    Signatory,
    StrategicObjective,
)
from conventions.validators import luhn_ok
from ctg_portal.formatting import LIST_SEPARATOR, format_number, french_spacing
from documents.models import Document
from evaluations.models import Evaluation, ObjectiveEvaluation, Question
from evaluations.perms import is_open
from funding.models import FundingAmount, FundingLine, Payment, Structure
from operations.commands import FrenchCommand

DOMAINS = [
    "Petite enfance",
    "Enfance",
    "Jeunesse",
    "Parentalité",
    "Accès aux droits",
    "Logement",
    "Animation de la vie sociale",
]
STATUSES = ["todo", "in_progress", "in_progress", "in_progress", "done", "paused", "blocked"]
STRUCTURE_KINDS = ["eaje", "rpe", "laep", "alsh", "youth", "after_school"]
BATCH = 2000
# Meetings per convention (each with two decisions and two agenda items).
MEETINGS = 4
# The départements' codes, in order: CAF k holds the conventions of the k-th (modulo).
DEPARTMENTS = [
    *(f"{n:02d}" for n in range(1, 96) if n != 20),
    "2A",
    "2B",
    *(str(n) for n in range(971, 977)),
]


def luhn_siren(prefix8):
    """Complete 8 digits with the Luhn check digit of a SIREN."""
    return next(f"{prefix8}{last}" for last in range(10) if luhn_ok(f"{prefix8}{last}"))


class Command(FrenchCommand):
    help = gettext_lazy(
        "Generate a national dataset in bulk (conventions, sheets, funding, users)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--conventions", type=int, default=1000, help=_("number of conventions")
        )
        parser.add_argument(
            "--cafs", type=int, default=None, help=_("number of CAFs (default: conventions / 10)")
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=2025,
            help=_("seed of the random draws (the same seed, the same data)"),
        )
        parser.add_argument(
            "--password", default="bench-password", help=_("password of every user created")
        )
        parser.add_argument("--prefix", default="gen", help=_("prefix of slugs and usernames"))
        parser.add_argument(
            "--meetings",
            type=int,
            default=MEETINGS,
            help=_("meetings per convention, each with its decisions (0: none)"),
        )
        parser.add_argument(
            "--sheets",
            type=int,
            default=None,
            help=_("sheets per convention (default: 12 to 50, 16 on average)"),
        )
        parser.add_argument(
            "--bilans",
            action=argparse.BooleanOptionalAction,
            default=True,
            help=_("the sheets' yearly reviews, the years' syntheses and the evaluations"),
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        counts = generate(
            options["conventions"],
            cafs=options["cafs"],
            seed=options["seed"],
            password=options["password"],
            prefix=options["prefix"],
            meetings=options["meetings"],
            sheets=options["sheets"],
            bilans=options["bilans"],
        )
        elapsed = time.monotonic() - started
        # "Name: count" pairs: the names are the models' plurals, whatever the count.
        template = french_spacing(_("%(name)s: %(count)s"))
        summary = LIST_SEPARATOR.join(
            template % {"name": capfirst(name), "count": n} for name, n in counts.items()
        )
        self.stdout.write(
            self.style.SUCCESS(
                french_spacing(_("Generated in %(seconds)s s: %(summary)s."))
                % {"seconds": format_number(elapsed, places=1), "summary": summary}
            )
        )


def generate(
    n_conventions,
    *,
    cafs=None,
    seed=2025,
    password="bench-password",
    prefix="gen",
    meetings=MEETINGS,
    sheets=None,
    bilans=True,
):
    """Create the dataset in one transaction, no e-mail sent; returns {model plural: count}."""
    with muted(), transaction.atomic():
        return _generate(n_conventions, cafs, seed, password, prefix, meetings, sheets, bilans)


def _generate(n_conventions, cafs, seed, password, prefix, meetings, sheet_count, bilans):
    rng = random.Random(seed)
    # Nothing is dated after today: the forms refuse future dates for what is done or paid.
    today = timezone.localdate()
    n_cafs = cafs or max(1, n_conventions // 10)
    password_hash = make_password(password)
    User = get_user_model()
    counts = {}

    def bulk(model, objects):
        created = model.objects.bulk_create(objects, batch_size=BATCH)
        counts[model._meta.verbose_name_plural] = counts.get(
            model._meta.verbose_name_plural, 0
        ) + len(created)
        return created

    siren_base = 70000000 + Partner.objects.filter(kind="epci").count()
    caf_partners = bulk(
        Partner, [Partner(name=f"CAF {prefix} {i:03d}", kind="caf") for i in range(n_cafs)]
    )
    epcis = bulk(
        Partner,
        [
            Partner(
                name=f"Communauté de communes {prefix} {i:04d}",
                kind="epci",
                siren=luhn_siren(f"{siren_base + i:08d}"),
            )
            for i in range(n_conventions)
        ],
    )
    communes = bulk(
        Partner,
        [
            Partner(name=f"Commune {prefix} {i:04d}-{j}", kind="commune", epci=epcis[i])
            for i in range(n_conventions)
            for j in range(5)
        ],
    )
    caf_of = [caf_partners[i % n_cafs] for i in range(n_conventions)]
    conventions = []
    for i in range(n_conventions):
        start = rng.choice([2021, 2022, 2023, 2024])
        conventions.append(
            Convention(
                slug=f"{prefix}-ctg-{i:04d}",
                title=f"CTG {prefix} {i:04d}",
                territory=epcis[i].name,
                epci=epcis[i],
                start_year=start,
                end_year=start + rng.choice([2, 3, 3, 4]),
                signed_on=datetime.date(start - 1, 12, 1),
                is_public=rng.random() < 0.3,
                caf=caf_of[i],
                department=DEPARTMENTS[i % n_cafs % len(DEPARTMENTS)],
            )
        )
    conventions = bulk(Convention, conventions)
    bulk(
        Signatory,
        [
            Signatory(convention=c, partner=p)
            for i, c in enumerate(conventions)
            for p in [caf_of[i], *communes[i * 5 : i * 5 + 5]]
        ],
    )
    domains = bulk(
        Domain,
        [
            Domain(convention=c, name=name, position=k)
            for c in conventions
            for k, name in enumerate(DOMAINS, start=1)
        ],
    )
    challenges = bulk(
        Challenge,
        [
            Challenge(convention=c, title=f"Enjeu {k}", position=k)
            for c in conventions
            for k in range(1, 7)
        ],
    )
    objectives = bulk(
        StrategicObjective,
        [
            StrategicObjective(convention=c, number=k, title=f"Objectif stratégique {k}")
            for c in conventions
            for k in range(1, 8)
        ],
    )
    bulk_links(
        StrategicObjective.challenges.through,
        [
            {"strategicobjective": objectives[i * 7 + k], "challenge": challenges[i * 6 + k % 6]}
            for i in range(n_conventions)
            for k in range(7)
        ],
    )
    bulk_links(
        StrategicObjective.domains.through,
        [
            {"strategicobjective": objectives[i * 7 + k], "domain": domains[i * 7 + k]}
            for i in range(n_conventions)
            for k in range(7)
        ],
    )

    users = bulk(
        User,
        [
            User(
                username=f"{prefix}-user-{i:04d}-{k}",
                first_name=f"Prénom{k}",
                last_name=f"Nom{i:04d}",
                password=password_hash,
            )
            for i in range(n_conventions)
            for k in range(5)
        ]
        + [
            User(
                username=f"{prefix}-caf-{j:03d}{suffix}",
                first_name="Agent" if suffix else "Responsable",
                last_name=f"CAF {j:03d}",
                password=password_hash,
            )
            for j in range(n_cafs)
            for suffix in ("", "-agent")
        ],
    )
    roles = ["coordinator", "pilot", "pilot", "elected", "caf_staff"]
    memberships = [
        Membership(user=users[i * 5 + k], convention=c, role=roles[k])
        for i, c in enumerate(conventions)
        for k in range(5)
    ]
    bulk(Membership, memberships)
    # The CAF-level members: a manager and a staff member per CAF, for all its conventions.
    caf_users = users[n_conventions * 5 :]
    bulk(
        CafMembership,
        [
            CafMembership(user=caf_users[j * 2 + k], caf=caf, role=role)
            for j, caf in enumerate(caf_partners)
            for k, role in enumerate([CafMembership.Role.MANAGER, CafMembership.Role.STAFF])
        ],
    )

    sheets = []
    sheet_convention = []
    for i, c in enumerate(conventions):
        count = sheet_count or min(50, max(12, int(rng.gauss(16, 4))))
        for number in range(1, count + 1):
            status = rng.choice(STATUSES)
            start = datetime.date(c.start_year, rng.randint(1, 12), 1)
            sheets.append(
                ActionSheet(
                    convention=c,
                    number=number,
                    title=f"Fiche action {number} de la {c.title}",
                    objective=objectives[i * 7 + (number - 1) % 7],
                    description="Description de la fiche action générée pour les mesures.",
                    status=status,
                    priority=rng.choice(["high", "medium", "low"]),
                    progress=100 if status == "done" else rng.randint(0, 95),
                    planned_start=start,
                    planned_end=datetime.date(c.end_year, rng.randint(1, 12), 28),
                    lead_partner=epcis[i],
                )
            )
            sheet_convention.append(i)
    sheets = bulk(ActionSheet, sheets)
    bulk_links(
        ActionSheet.domains.through,
        [
            {"actionsheet": s, "domain": domains[sheet_convention[n] * 7 + (s.number - 1) % 7]}
            for n, s in enumerate(sheets)
        ],
    )
    bulk_links(
        ActionSheet.pilots.through,
        [
            {"actionsheet": s, "user": users[sheet_convention[n] * 5 + 1 + s.number % 2]}
            for n, s in enumerate(sheets)
        ],
    )
    steps, indicators, notes = [], [], []
    for n, sheet in enumerate(sheets):
        c = conventions[sheet_convention[n]]
        for k in range(3):
            due = datetime.date(rng.randint(c.start_year, c.end_year), rng.randint(1, 12), 15)
            # Done on its due date, and only if that date has come: forms refuse a future one.
            done = due if due <= today and rng.random() < 0.4 else None
            steps.append(
                Step(sheet=sheet, title=f"Étape {k + 1}", due_on=due, done_on=done, position=k + 1)
            )
        baseline, target = rng.randint(0, 50), rng.randint(50, 200)
        years = list(c.years)
        indicators.append(
            Indicator(
                sheet=sheet,
                label="Familles accompagnées",
                unit="familles",
                baseline=Decimal(baseline),
                baseline_date=datetime.date(c.start_year - 1, 12, 31),
                baseline_source="Diagnostic de la convention",
                target=Decimal(target),
                # From the baseline to the final target, evenly, year by year.
                yearly_targets={
                    str(year): str(baseline + (target - baseline) * (k + 1) // len(years))
                    for k, year in enumerate(years)
                },
                decimals=Indicator.Decimals.NONE,  # a count
            )
        )
        for k in range(2):
            if datetime.date(c.start_year, 3 + k * 6, 10) > today:
                break
            notes.append(
                ProgressNote(
                    sheet=sheet,
                    written_on=datetime.date(c.start_year, 3 + k * 6, 10),
                    author=users[sheet_convention[n] * 5],
                    text=f"Point d’avancement {k + 1}.",
                    is_public=k == 0,
                )
            )
    bulk(Step, steps)
    indicators = bulk(Indicator, indicators)
    bulk(ProgressNote, notes)
    values = []
    for n, indicator in enumerate(indicators):
        c = conventions[sheet_convention[n]]
        for k, year in enumerate(range(c.start_year, c.end_year + 1)):
            if datetime.date(year, 12, 31) > today:
                break
            values.append(
                IndicatorValue(
                    indicator=indicator,
                    measured_on=datetime.date(year, 12, 31),
                    value=indicator.baseline + 10 * (k + 1),
                )
            )
    bulk(IndicatorValue, values)

    structures = bulk(
        Structure,
        [
            Structure(
                convention=c,
                name=f"Structure {k}",
                kind=STRUCTURE_KINDS[k % 6],
                commune=communes[i * 5 + k % 5],
            )
            for i, c in enumerate(conventions)
            for k in range(8)
        ],
    )
    lines = []
    for i, c in enumerate(conventions):
        lines.append(
            FundingLine(
                convention=c,
                label="Coordination de la CTG",
                category="coordination",
                funder=caf_of[i],
                position=1,
            )
        )
        for k in range(8):
            local = k == 7
            lines.append(
                FundingLine(
                    convention=c,
                    label=f"Ligne {k + 1}" + (" (part communale)" if local else ""),
                    structure=structures[i * 8 + k],
                    category="local" if local else "bonus",
                    funder=communes[i * 5] if local else caf_of[i],
                    position=k + 2,
                )
            )
    lines = bulk(FundingLine, lines)
    amounts = []
    for n, line in enumerate(lines):
        c = conventions[n // 9]
        base = Decimal(rng.randint(30, 450) * 100)
        for year in range(c.start_year, c.end_year + 1):
            amounts.append(FundingAmount(line=line, year=year, planned=base))
    amounts = bulk(FundingAmount, amounts)
    payments = []
    for amount in amounts:
        advance = (amount.planned * Decimal("0.35")).quantize(Decimal("0.01"))
        for paid_on in (datetime.date(amount.year, 3, 15), datetime.date(amount.year, 10, 15)):
            if paid_on <= today:
                payments.append(
                    Payment(funding_amount=amount, amount=advance, paid_on=paid_on, kind="advance")
                )
    bulk(Payment, payments)
    add_steering(
        conventions, sheets, sheet_convention, objectives, users, caf_of, meetings, rng, bulk
    )
    if bilans:
        add_bilans(conventions, sheets, sheet_convention, objectives, indicators, users, rng, bulk)
    return counts


def add_bilans(conventions, sheets, sheet_convention, objectives, indicators, users, rng, bulk):
    """The bilans of each convention, in bulk like the rest (no record of their own):

    - one history record of each sheet, its creation at the convention's signature, so that
      the bilans' figures "as of 31/12" (read from the history) have the sheets to count;
    - a review of every sheet for each year begun: validated for the years ended (written and
      submitted by a pilot in January, validated by the coordinator at the end of January),
      a draft, a submitted review or none yet for the current year;
    - the coordinator's synthesis of each year ended;
    - once the convention's last year has come, its evaluation: the conclusion begun, and the
      first two objectives rated on relevance and effectiveness, the latter resting on the
      indicator of the objective's first sheet.
    """
    now = timezone.now()
    today = timezone.localdate()

    def moment(day, hour):
        return min(now, timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))))

    for n, sheet in enumerate(sheets):
        sheet._history_date = moment(conventions[sheet_convention[n]].signed_on, 10)
    ActionSheet.history.bulk_history_create(sheets, batch_size=BATCH)
    for sheet in sheets:
        del sheet._history_date

    reviews = []
    for n, sheet in enumerate(sheets):
        i = sheet_convention[n]
        c = conventions[i]
        writer, coordinator = users[i * 5 + 1 + sheet.number % 2], users[i * 5]
        for year in range(c.start_year, min(c.end_year, today.year) + 1):
            review = SheetReview(
                sheet=sheet,
                year=year,
                achievements=f"Réalisations {year} de la fiche {sheet.number}.",
                difficulties="Difficultés de recrutement et de calendrier.",
                adjustments="Poursuivre l’action l’an prochain.",
                proposed_status=sheet.status,
            )
            if year < today.year:
                review.state = SheetReview.State.VALIDATED
                review.submitted_by = writer
                review.submitted_at = moment(datetime.date(year + 1, 1, 15), 10)
                review.validated_by = coordinator
                review.validated_at = moment(datetime.date(year + 1, 1, 31), 16)
                review.version = 3
            else:
                state = rng.choice(["draft", "submitted", None])
                if state is None:
                    continue
                review.state = state
                if state == SheetReview.State.SUBMITTED:
                    review.submitted_by, review.submitted_at = writer, now
                    review.version = 2
            reviews.append(review)
    bulk(SheetReview, reviews)
    bulk(
        YearBilan,
        [
            YearBilan(
                convention=c,
                year=year,
                synthesis=f"Synthèse de l’année {year} de la {c.title} : les fiches avancent.",
            )
            for c in conventions
            for year in range(c.start_year, min(c.end_year + 1, today.year))
        ],
    )
    evaluated = [(i, c) for i, c in enumerate(conventions) if is_open(c, today)]
    evaluations = bulk(
        Evaluation,
        [
            Evaluation(
                convention=c,
                conclusion=f"La {c.title} a structuré l’action sociale du territoire.",
            )
            for _i, c in evaluated
        ],
    )
    first_indicator = {}  # (convention index, objective index): its first sheet's indicator
    for n, indicator in enumerate(indicators):
        key = (sheet_convention[n], (sheets[n].number - 1) % 7)
        first_indicator.setdefault(key, indicator)
    answers, rested = [], []
    for evaluation, (i, _c) in zip(evaluations, evaluated, strict=True):
        for k in range(2):
            for question in (Question.RELEVANCE, Question.EFFECTIVENESS):
                answers.append(
                    ObjectiveEvaluation(
                        evaluation=evaluation,
                        objective=objectives[i * 7 + k],
                        question=question,
                        rating=rng.randint(1, 4),
                        evidence=f"Constats de l’objectif {k + 1} sur la période.",
                    )
                )
                indicator = first_indicator.get((i, k))
                rested.append(indicator if question == Question.EFFECTIVENESS else None)
    answers = bulk(ObjectiveEvaluation, answers)
    bulk_links(
        ObjectiveEvaluation.indicators.through,
        [
            {"objectiveevaluation": answer, "indicator": indicator}
            for answer, indicator in zip(answers, rested, strict=True)
            if indicator is not None
        ],
    )


def add_steering(conventions, sheets, sheet_convention, objectives, users, caf_of, n, rng, bulk):
    """`n` meetings per convention (alternately COPIL and COTECH, spread over its period; held
    when past, else planned), each with its attendance (the coordinator, a pilot, the CAF),
    two agenda items and two decisions on its sheets; and two link documents per convention,
    one on the convention, one on its first meeting. In bulk, like the rest: no history."""
    if n <= 0:
        return
    now = timezone.now()
    today = timezone.localdate()
    sheets_of = [[] for _ in conventions]
    for k, sheet in enumerate(sheets):
        sheets_of[sheet_convention[k]].append(sheet)
    meetings = []
    for c in conventions:
        span = (datetime.date(c.end_year, 12, 31) - datetime.date(c.start_year, 1, 1)).days
        for k in range(n):
            day = datetime.date(c.start_year, 1, 15) + datetime.timedelta(days=span * k // n)
            starts_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(14)))
            kind = "copil" if k % 2 == 0 else "cotech"
            meetings.append(
                Meeting(
                    convention=c,
                    kind=kind,
                    title=f"{kind.upper()} {k + 1} de la {c.title}",
                    starts_at=starts_at,
                    place="Siège de la communauté de communes",
                    state="held" if starts_at < now else "planned",
                    minutes="Compte rendu généré pour les mesures." if starts_at < now else "",
                    is_public=k == 0,
                )
            )
    meetings = bulk(Meeting, meetings)
    attendances, items, decisions = [], [], []
    item_sheets, decision_sheets, item_objectives = [], [], []
    for m, meeting in enumerate(meetings):
        i = m // n
        held = meeting.state == "held"
        attendances += [
            Attendance(meeting=meeting, user=users[i * 5], status="present" if held else "invited"),
            Attendance(
                meeting=meeting, user=users[i * 5 + 1], status="present" if held else "invited"
            ),
            Attendance(meeting=meeting, partner=caf_of[i], status="present" if held else "invited"),
        ]
        chosen = rng.sample(sheets_of[i], 2)
        for k, sheet in enumerate(chosen):
            items.append(AgendaItem(meeting=meeting, position=k + 1, title=f"Fiche {sheet.number}"))
            item_sheets.append(sheet)
            item_objectives.append(objectives[i * 7 + k])
            due = timezone.localtime(meeting.starts_at).date() + datetime.timedelta(days=90)
            state = "open"
            if held and due <= today:
                state = rng.choice(["done", "done", "open", "abandoned"])
            decisions.append(
                Decision(
                    meeting=meeting,
                    text=f"Suivre la fiche {sheet.number} et en rendre compte.",
                    owner=users[i * 5 + 1 + k],
                    due_on=due,
                    state=state,
                )
            )
            decision_sheets.append(sheet)
    bulk(Attendance, attendances)
    items = bulk(AgendaItem, items)
    decisions = bulk(Decision, decisions)
    bulk_links(
        AgendaItem.sheets.through,
        [
            {"agendaitem": item, "actionsheet": sheet}
            for item, sheet in zip(items, item_sheets, strict=True)
        ],
    )
    bulk_links(
        AgendaItem.objectives.through,
        [
            {"agendaitem": item, "strategicobjective": objective}
            for item, objective in zip(items, item_objectives, strict=True)
        ],
    )
    bulk_links(
        Decision.sheets.through,
        [
            {"decision": decision, "actionsheet": sheet}
            for decision, sheet in zip(decisions, decision_sheets, strict=True)
        ],
    )
    documents = []
    for i, c in enumerate(conventions):
        documents += [
            Document(
                convention=c,
                kind="signed_convention",
                title=f"Convention signée — {c.title}",
                date=c.signed_on,
                url=f"https://example.org/ctg/{c.slug}/convention.pdf",
                publishable=c.is_public,
                uploaded_by=users[i * 5],
            ),
            Document(
                convention=c,
                kind="minutes",
                title=f"Compte rendu — {meetings[i * n].title}",
                date=timezone.localtime(meetings[i * n].starts_at).date(),
                url=f"https://example.org/ctg/{c.slug}/copil-1.pdf",
                meeting=meetings[i * n],
                uploaded_by=users[i * 5],
            ),
        ]
    bulk(Document, documents)


def bulk_links(through, rows):
    """bulk_create rows of a many-to-many table given as {field name: object}."""
    objects = [through(**{f"{name}_id": obj.pk for name, obj in row.items()}) for row in rows]
    through.objects.bulk_create(objects, batch_size=BATCH)
