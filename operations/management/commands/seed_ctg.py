from django.core.management.base import BaseCommand

from operations import seed
from operations.seeding import load_seed_convention


class Command(BaseCommand):
    help = (
        "Load the seed convention (CTG Thoré Montagne Noire 2023–2025). "
        "An existing one is left as it is."
    )

    def handle(self, *args, **options):
        convention = load_seed_convention()
        if convention is None:
            self.stdout.write(f"Convention {seed.SLUG} already loaded: nothing changed.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {convention.slug}: {convention.signatory_set.count()} signatories, "
                f"{convention.domains.count()} domains, {convention.challenges.count()} "
                f"challenges, {convention.objectives.count()} objectives, "
                f"{convention.action_sheets.count()} action sheets, "
                f"{convention.funding_lines.count()} funding lines."
            )
        )
