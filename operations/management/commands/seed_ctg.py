from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from operations import seed
from operations.commands import FrenchCommand
from operations.seeding import load_seed_convention


def told_counts(convention):
    """ "12 signataires, 7 domaines, …": what the seed loaded, each count with its plural."""
    counts = [
        convention.signatory_set.count(),
        convention.domains.count(),
        convention.challenges.count(),
        convention.objectives.count(),
        convention.action_sheets.count(),
        convention.funding_lines.count(),
    ]
    texts = [
        ngettext("%(count)s signatory", "%(count)s signatories", counts[0]),
        ngettext("%(count)s domain", "%(count)s domains", counts[1]),
        ngettext("%(count)s challenge", "%(count)s challenges", counts[2]),
        ngettext("%(count)s objective", "%(count)s objectives", counts[3]),
        ngettext("%(count)s action sheet", "%(count)s action sheets", counts[4]),
        ngettext("%(count)s funding line", "%(count)s funding lines", counts[5]),
    ]
    return ", ".join(text % {"count": n} for text, n in zip(texts, counts, strict=True))


class Command(FrenchCommand):
    help = gettext_lazy(
        "Load the seed convention (CTG Thoré Montagne Noire 2023–2025). "
        "An existing one is left as it is."
    )

    def handle(self, *args, **options):
        convention = load_seed_convention()
        if convention is None:
            self.stdout.write(
                _("Convention %(slug)s already loaded: nothing changed.") % {"slug": seed.SLUG}
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                _("Loaded %(slug)s: %(counts)s.")
                % {"slug": convention.slug, "counts": told_counts(convention)}
            )
        )
