from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.notifications import muted
from actions.models import ActionSheet
from conventions.models import CafMembership, Convention, Membership
from operations import seed
from operations.commands import FrenchCommand
from operations.demo import (
    LAUNCH,
    add_demo_bilans,
    add_demo_progress,
    add_demo_steering,
    demo_moment,
    past,
)
from operations.seeding import attach_seed_caf

# Written in README.md; for demonstrations only.
DEMO_PASSWORD = "demo-ctg-2025"

# username, first name, last name, role: in the seed convention (a Membership.Role), at its
# CAF (a CafMembership.Role: every convention of the CAF du Tarn), or None (superuser only)
DEMO_ACCOUNTS = [
    ("admin", "Alice", "Administratrice", None),
    ("coordination", "Camille", "Coordinatrice", Membership.Role.COORDINATOR),
    ("pilote", "Paul", "Pilote", Membership.Role.PILOT),
    ("elu", "Élise", "Élue", Membership.Role.ELECTED),
    ("caf", "Claire", "Agent CAF", CafMembership.Role.MANAGER),
]
PILOT_SHEETS = [1, 2, 3, 4]


class Command(FrenchCommand):
    help = gettext_lazy(
        "Add the demonstration accounts (admin, coordination, pilote, elu, caf) "
        "to the seed convention."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Run even with debug off (the accounts share a published password)."),
        )
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help=_("Only the accounts: no demonstration progress on the sheets."),
        )

    def handle(self, *args, **options):
        # Bulk data: no e-mail goes out (a pilot named on sheets is told nothing).
        with muted(), transaction.atomic():
            self.seed_demo(options)

    def seed_demo(self, options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                _(
                    "Debug is off: the demo accounts share a published password. "
                    "Use --force to add them anyway."
                )
            )
        try:
            convention = Convention.objects.get(slug=seed.SLUG)
        except Convention.DoesNotExist:
            raise CommandError(_("Run seed_ctg first: the seed convention is missing.")) from None

        User = get_user_model()
        created = []
        for username, first_name, last_name, role in DEMO_ACCOUNTS:
            user, was_created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@example.org",
                    "is_staff": role is None,
                    "is_superuser": role is None,
                },
            )
            if was_created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                created.append(username)
            if isinstance(role, CafMembership.Role):
                CafMembership.objects.get_or_create(
                    user=user, caf=attach_seed_caf(convention), defaults={"role": role}
                )
            elif role:
                Membership.objects.get_or_create(
                    user=user, convention=convention, defaults={"role": role}
                )
            if username == "pilote" and was_created:
                for sheet in ActionSheet.objects.filter(
                    convention=convention, number__in=PILOT_SHEETS
                ):
                    # The launch COPIL named the pilots: the sheet's history says so then.
                    sheet._history_date = past(demo_moment(*LAUNCH))
                    sheet.pilots.add(user)
        if created:
            self.stdout.write(
                self.style.SUCCESS(
                    ngettext(
                        "Demo account created: %(accounts)s.",
                        "Demo accounts created: %(accounts)s.",
                        len(created),
                    )
                    % {"accounts": ", ".join(created)}
                )
            )
        else:
            self.stdout.write(_("Demo accounts already present: nothing changed."))
        if options["no_progress"]:
            return
        coordinator = User.objects.get(username="coordination")
        if add_demo_progress(convention, coordinator):
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Demonstration progress added (statuses, steps, notes, indicator "
                        "values); the convention's pages say so in a banner."
                    )
                )
            )
        else:
            self.stdout.write(_("Demonstration progress already present: nothing changed."))
        if add_demo_steering(convention, coordinator):
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Demonstration steering added: 2 COPIL and 3 COTECH (2023–2025) with "
                        "their attendance, agendas and decisions, and 4 documents."
                    )
                )
            )
        else:
            self.stdout.write(_("Demonstration steering already present: nothing changed."))
        bilans = add_demo_bilans(convention, coordinator)
        if bilans.targets:
            self.stdout.write(
                self.style.SUCCESS(
                    ngettext(
                        "Baseline and yearly targets given to %(count)s demonstration indicator.",
                        "Baseline and yearly targets given to %(count)s demonstration indicators.",
                        bilans.targets,
                    )
                    % {"count": bilans.targets}
                )
            )
        if bilans.validated or bilans.submitted or bilans.drafts:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Demonstration bilans added: %(validated)s validated reviews (2023 and "
                        "2024), %(submitted)s submitted and %(drafts)s draft reviews of 2025, "
                        "%(syntheses)s syntheses of the year."
                    )
                    % {
                        "validated": bilans.validated,
                        "submitted": bilans.submitted,
                        "drafts": bilans.drafts,
                        "syntheses": bilans.syntheses,
                    }
                )
            )
            if bilans.answers:
                self.stdout.write(
                    self.style.SUCCESS(
                        _(
                            "Demonstration evaluation begun: %(answers)s answers to the "
                            "evaluation questions and the start of the conclusion."
                        )
                        % {"answers": bilans.answers}
                    )
                )
        else:
            self.stdout.write(_("Demonstration bilans already present: nothing changed."))
