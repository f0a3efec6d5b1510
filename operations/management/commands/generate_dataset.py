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
convention's last year has come, an evaluation with a few answers; --files N small files per
convention (a one-page PDF or a PNG, written through the storage API: local disk or the
object storage alike; 1 by default, 0 for none); per convention three invited people (an
invitation pending, one accepted, one expired) and an API token of its coordinator (unless
--no-people). Meetings, decisions, documents, reviews, syntheses and evaluations get a
history record each, as the sheets do (unless --no-history). --sheets N gives every
convention N sheets (a 300-sheet convention's bilan: `--conventions 1 --sheets 300`).
Deterministic for a given --seed. Every user's password is --password (default
"bench-password"). Bulk data: no e-mail goes out (`muted`).
"""

import argparse
import datetime
import hashlib
import random
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import INVITATION_VALIDITY, ApiToken, Invitation
from accounts.notifications import muted
from accounts.tokens import digest
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
from documents.models import Document, stored_name
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
# Small files per convention (the command's default; generate() writes none unless asked).
FILES = 1
# The smallest valid files of each kind a document may be: a one-page PDF and a 1×1 PNG.
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
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
        parser.add_argument(
            "--files",
            type=int,
            default=FILES,
            help=_("small files per convention, written to the file storage (0: none)"),
        )
        parser.add_argument(
            "--people",
            action=argparse.BooleanOptionalAction,
            default=True,
            help=_("invited people (pending, accepted, expired) and API tokens"),
        )
        parser.add_argument(
            "--history",
            action=argparse.BooleanOptionalAction,
            default=True,
            help=_("a history record of each meeting, decision, document, review and evaluation"),
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
            files=options["files"],
            people=options["people"],
            history=options["history"],
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
    files=0,
    people=True,
    history=False,
):
    """Create the dataset in one transaction, no e-mail sent; returns {model plural: count}.

    `files` is 0 and `history` False by default here (the command writes one file per
    convention and every history record): tests keep their storage empty and their data
    quick to build unless they ask; a file written stays if the transaction rolls back (the
    storage has no transaction). The sheets always get their record (the bilans read it)."""
    options = {"bilans": bilans, "files": files, "people": people, "history": history}
    with muted(), transaction.atomic():
        return _generate(n_conventions, cafs, seed, password, prefix, meetings, sheets, options)


def _generate(n_conventions, cafs, seed, password, prefix, meetings, sheet_count, options):
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

    def record(model, objects, dates):
        if options["history"]:
            with_history(model, objects, dates)

    add_steering(
        conventions,
        sheets,
        sheet_convention,
        objectives,
        users,
        caf_of,
        meetings,
        rng,
        bulk,
        record,
    )
    if options["files"] > 0:
        add_files(conventions, sheets, sheet_convention, users, options["files"], bulk, record)
    if options["people"]:
        add_people(conventions, users, password_hash, prefix, rng, bulk)
    if options["bilans"]:
        add_bilans(
            conventions, sheets, sheet_convention, objectives, indicators, users, rng, bulk, record
        )
    return counts


def moment(day, hour=10):
    """An aware moment of `day`, never after now (history and workflow dates are past)."""
    now = timezone.now()
    return min(now, timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))))


def with_history(model, objects, dates):
    """One history record ("created") per object, dated as given: bulk_create writes none."""
    for obj, when in zip(objects, dates, strict=True):
        obj._history_date = when
    model.history.bulk_history_create(objects, batch_size=BATCH)
    for obj in objects:
        del obj._history_date


def add_files(conventions, sheets, sheet_convention, users, per_convention, bulk, record):
    """`per_convention` documents with a small file each, written through the storage API
    (`default_storage.save`, so the same on disk or on object storage) under the random name
    the upload form gives (`documents.models.stored_name`): alternately a one-page PDF on one
    of the convention's sheets and a PNG on its first funding year."""
    first_sheet = {}
    for n, sheet in enumerate(sheets):
        first_sheet.setdefault(sheet_convention[n], []).append(sheet)
    documents = []
    for i, c in enumerate(conventions):
        own = first_sheet.get(i, [])
        for k in range(per_convention):
            pdf = k % 2 == 0
            content = TINY_PDF if pdf else TINY_PNG
            document = Document(
                convention=c,
                kind="review" if pdf else "voucher",
                title=f"Pièce {k + 1} de la {c.title}",
                date=c.signed_on,
                original_name=f"piece-{k + 1}.{'pdf' if pdf else 'png'}",
                size=len(content),
                content_type="application/pdf" if pdf else "image/png",
                sheet=own[k % len(own)] if pdf and own else None,
                funding_year=None if pdf else c.start_year,
                uploaded_by=users[i * 5],
            )
            document.file.name = default_storage.save(
                stored_name(document, document.original_name), ContentFile(content)
            )
            documents.append(document)
    documents = bulk(Document, documents)
    record(Document, documents, [moment(d.date) for d in documents])


def add_people(conventions, users, password_hash, prefix, rng, bulk):
    """Per convention, three people invited by its coordinator, each with an account and a
    membership as `accounts.services.invite` leaves them: one invitation pending (sent two
    days ago), one accepted (the account has its password), one expired (never accepted: no
    usable password); and an API token of the coordinator (the SHA-256 of a random secret,
    as `api.tokens` stores it; the secret is not kept: a bench creates its own token)."""
    now = timezone.now()
    unusable = make_password(None)
    states = [("pending", "pilot", 2), ("accepted", "elected", 30), ("expired", "pilot", 20)]
    User = get_user_model()
    invited = bulk(
        User,
        [
            User(
                username=f"{prefix}-invite-{i:04d}-{k}",
                email=f"{prefix}-invite-{i:04d}-{k}@example.org",
                first_name=f"Invité{k}",
                last_name=f"Nom{i:04d}",
                password=password_hash if state == "accepted" else unusable,
            )
            for i in range(len(conventions))
            for k, (state, _role, _days) in enumerate(states)
        ],
    )
    memberships, invitations = [], []
    for i, c in enumerate(conventions):
        for k, (state, role, days) in enumerate(states):
            user = invited[i * 3 + k]
            memberships.append(Membership(user=user, convention=c, role=role))
            sent = now - datetime.timedelta(days=days)
            invitations.append(
                Invitation(
                    convention=c,
                    user=user,
                    email=user.email,
                    role=role,
                    invited_by=users[i * 5],
                    # Unique per prefix and draw: no two generated datasets share a digest.
                    token_digest=digest(f"{prefix}:{i}:{k}:{rng.getrandbits(128):032x}"),
                    created_at=sent,
                    expires_at=sent + INVITATION_VALIDITY,
                    accepted_at=sent + datetime.timedelta(days=1) if state == "accepted" else None,
                )
            )
    bulk(Membership, memberships)
    bulk(Invitation, invitations)
    tokens = []
    for i in range(len(conventions)):
        key = hashlib.sha256(f"{prefix}:token:{i}".encode()).hexdigest()
        tokens.append(
            ApiToken(
                user=users[i * 5],
                name="Tableau de bord de la CAF",
                prefix=key[:12],
                digest=digest(f"{rng.getrandbits(256):064x}"),
                created_at=now - datetime.timedelta(days=60),
            )
        )
    bulk(ApiToken, tokens)


def add_bilans(
    conventions, sheets, sheet_convention, objectives, indicators, users, rng, bulk, record
):
    """The bilans of each convention, in bulk like the rest (their history through `record`):

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
    with_history(
        ActionSheet,
        sheets,
        [moment(conventions[sheet_convention[n]].signed_on) for n in range(len(sheets))],
    )

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
    reviews = bulk(SheetReview, reviews)
    record(SheetReview, reviews, [r.validated_at or r.submitted_at or now for r in reviews])
    syntheses = bulk(
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
    record(YearBilan, syntheses, [moment(datetime.date(b.year + 1, 1, 31)) for b in syntheses])
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
    begun = {
        e.pk: moment(datetime.date(c.end_year, 1, 15))
        for e, (_i, c) in zip(evaluations, evaluated, strict=True)
    }
    record(Evaluation, evaluations, [begun[e.pk] for e in evaluations])
    record(ObjectiveEvaluation, answers, [begun[a.evaluation_id] for a in answers])
    bulk_links(
        ObjectiveEvaluation.indicators.through,
        [
            {"objectiveevaluation": answer, "indicator": indicator}
            for answer, indicator in zip(answers, rested, strict=True)
            if indicator is not None
        ],
    )


def add_steering(
    conventions, sheets, sheet_convention, objectives, users, caf_of, n, rng, bulk, record
):
    """`n` meetings per convention (alternately COPIL and COTECH, spread over its period; held
    when past, else planned), each with its attendance (the coordinator, a pilot, the CAF),
    two agenda items and two decisions on its sheets; and two link documents per convention,
    one on the convention, one on its first meeting. In bulk, like the rest, with a history
    record of each meeting, decision and document (its creation)."""
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
    record(
        Meeting,
        meetings,
        [min(now, m.starts_at - datetime.timedelta(days=30)) for m in meetings],
    )
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
    record(Decision, decisions, [min(now, d.meeting.starts_at) for d in decisions])
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
    documents = bulk(Document, documents)
    record(Document, documents, [moment(d.date) for d in documents])


def bulk_links(through, rows):
    """bulk_create rows of a many-to-many table given as {field name: object}."""
    objects = [through(**{f"{name}_id": obj.pk for name, obj in row.items()}) for row in rows]
    through.objects.bulk_create(objects, batch_size=BATCH)
