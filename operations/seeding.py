"""Loading the seed convention: every domain app's part of it, in one transaction."""

from django.db import transaction

from accounts.notifications import muted
from actions.models import ActionSheet, one_history_record
from conventions.models import (
    Challenge,
    Convention,
    Domain,
    Partner,
    Signatory,
    StrategicObjective,
)
from funding.models import FundingAmount, FundingLine, Structure

from . import seed


def get_or_create_partner(name, kind, **identifiers):
    """A partner found by its public identifier (INSEE code, SIREN) or else by name and kind."""
    lookup = identifiers or {"name": name, "kind": kind}
    partner, _created = Partner.objects.get_or_create(
        **lookup, defaults={"name": name, "kind": kind, **identifiers}
    )
    return partner


def seed_caf():
    """The CAF du Tarn: the seed convention's CAF and funder."""
    return get_or_create_partner(seed.CAF["name"], Partner.Kind.CAF)


def attach_seed_caf(convention):
    """The seed convention's CAF, the CAF du Tarn: set on a seed convention loaded before
    conventions named their CAF (its département too, when blank). Returns the CAF."""
    if convention.caf_id is not None:
        return convention.caf
    convention.caf = seed_caf()
    convention.department = convention.department or seed.CONVENTION["department"]
    convention.save(update_fields=["caf", "department"])
    return convention.caf


def load_seed_convention():
    """Load the seed convention, all or nothing. Returns it, or None when it already exists.

    An existing convention is never touched, so that running the seed again (as `make run`
    does) keeps every edit made since. Bulk data: no e-mail goes out (`muted`).
    """
    with muted(), transaction.atomic():
        return _load_seed_convention()


def _load_seed_convention():
    if Convention.objects.filter(slug=seed.SLUG).exists():
        return None

    caf = seed_caf()
    convention = Convention.objects.create(slug=seed.SLUG, caf=caf, **seed.CONVENTION)
    epci = get_or_create_partner(seed.EPCI["name"], Partner.Kind.EPCI, siren=seed.EPCI["siren"])
    communes = {}
    for name, code in seed.MEMBER_COMMUNES:
        communes[name] = get_or_create_partner(name, Partner.Kind.COMMUNE, insee_code=code)
        if communes[name].epci_id is None:
            communes[name].epci = epci
            communes[name].save(update_fields=["epci"])
    for name, code in seed.OTHER_COMMUNES:
        communes[name] = get_or_create_partner(name, Partner.Kind.COMMUNE, insee_code=code)
    Signatory.objects.bulk_create(
        Signatory(convention=convention, partner=partner, signed_on=seed.SIGNED_ON)
        # The article's signatories: the communes and the CAF du Tarn; the Communauté de
        # communes is the convention's territory, which the article does not name as a party.
        for partner in [*communes.values(), caf]
    )
    convention.epci = epci
    convention.save(update_fields=["epci"])

    domains = [
        Domain.objects.create(convention=convention, name=name, position=position)
        for position, name in enumerate(seed.DOMAINS, start=1)
    ]
    challenges = [
        Challenge.objects.create(convention=convention, title=title, position=position)
        for position, title in enumerate(seed.CHALLENGES, start=1)
    ]
    for number, title, challenge_indexes, domain_indexes, sheet_numbers in seed.OBJECTIVES:
        objective = StrategicObjective.objects.create(
            convention=convention, number=number, title=title
        )
        objective.challenges.set([challenges[i] for i in challenge_indexes])
        objective.domains.set([domains[i] for i in domain_indexes])
        for sheet_number in sheet_numbers:
            sheet = ActionSheet(
                convention=convention,
                number=sheet_number,
                title=seed.SHEETS[sheet_number],
                objective=objective,
                lead_partner=epci,
            )
            indexes = seed.SHEET_DOMAINS.get(sheet_number, domain_indexes)
            with one_history_record(sheet):  # created with its domains: one record
                sheet.save()
                sheet.domains.set([domains[i] for i in indexes])

    for position, (label, structure_name, kind, category, amount) in enumerate(
        seed.FUNDING_LINES, start=1
    ):
        structure = None
        if structure_name:
            structure = Structure.objects.create(
                convention=convention, name=structure_name, kind=kind
            )
        line = FundingLine.objects.create(
            convention=convention,
            label=label,
            structure=structure,
            category=category,
            funder=caf,
            position=position,
        )
        for year in convention.years:
            FundingAmount.objects.create(line=line, year=year, planned=amount)
    return convention
