"""factory_boy factories for the portal's models."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from actions.models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step
from conventions.models import (
    Challenge,
    Convention,
    Domain,
    Membership,
    Partner,
    Signatory,
    StrategicObjective,
)
from funding.models import FundingAmount, FundingLine, Payment, Structure


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.django.Password("password")


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partenaire {n}")
    kind = Partner.Kind.ASSOCIATION


class CommuneFactory(PartnerFactory):
    kind = Partner.Kind.COMMUNE
    name = factory.Sequence(lambda n: f"Commune {n}")
    insee_code = factory.Sequence(lambda n: f"{1 + n // 1000 % 19:02d}{n % 1000:03d}")


class CafFactory(PartnerFactory):
    kind = Partner.Kind.CAF
    name = factory.Sequence(lambda n: f"CAF {n}")


class ConventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Convention

    slug = factory.Sequence(lambda n: f"ctg-{n}")
    title = factory.Sequence(lambda n: f"CTG du territoire {n}")
    territory = factory.Sequence(lambda n: f"Territoire {n}")
    start_year = 2023
    end_year = 2025
    signed_on = datetime.date(2022, 12, 1)


class SignatoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signatory

    convention = factory.SubFactory(ConventionFactory)
    partner = factory.SubFactory(PartnerFactory)


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain

    convention = factory.SubFactory(ConventionFactory)
    name = factory.Sequence(lambda n: f"Domaine {n}")


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge

    convention = factory.SubFactory(ConventionFactory)
    title = factory.Sequence(lambda n: f"Enjeu {n}")


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategicObjective

    convention = factory.SubFactory(ConventionFactory)
    number = factory.Sequence(lambda n: n + 100)
    title = factory.Sequence(lambda n: f"Objectif {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    convention = factory.SubFactory(ConventionFactory)
    role = Membership.Role.COORDINATOR


class ActionSheetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionSheet

    convention = factory.SubFactory(ConventionFactory)
    number = factory.Sequence(lambda n: n + 100)
    title = factory.Sequence(lambda n: f"Fiche action {n}")
    objective = factory.SubFactory(
        ObjectiveFactory, convention=factory.SelfAttribute("..convention")
    )


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    sheet = factory.SubFactory(ActionSheetFactory)
    title = factory.Sequence(lambda n: f"Étape {n}")
    due_on = datetime.date(2024, 6, 30)


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    sheet = factory.SubFactory(ActionSheetFactory)
    label = factory.Sequence(lambda n: f"Indicateur {n}")
    unit = "familles"
    baseline = Decimal("10")
    target = Decimal("40")


class IndicatorValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndicatorValue

    indicator = factory.SubFactory(IndicatorFactory)
    measured_on = factory.Sequence(lambda n: datetime.date(2023, 1, 1) + datetime.timedelta(days=n))
    value = Decimal("12")


class ProgressNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressNote

    sheet = factory.SubFactory(ActionSheetFactory)
    written_on = datetime.date(2024, 3, 12)
    text = "Réunion du groupe de travail."


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    convention = factory.SubFactory(ConventionFactory)
    name = factory.Sequence(lambda n: f"Structure {n}")
    kind = Structure.Kind.EAJE


class FundingLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingLine

    convention = factory.SubFactory(ConventionFactory)
    label = factory.Sequence(lambda n: f"Ligne {n}")
    funder = factory.SubFactory(CafFactory)
    category = FundingLine.Category.BONUS


class FundingAmountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingAmount

    line = factory.SubFactory(FundingLineFactory)
    year = 2023
    planned = Decimal("1000")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    funding_amount = factory.SubFactory(FundingAmountFactory)
    amount = Decimal("350")
    paid_on = datetime.date(2023, 3, 15)
