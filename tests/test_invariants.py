"""Every invariant of the model is refused by the database and answered in French by a form.

Each case builds a valid object, then tries the same bad change twice: straight to the database
(an UPDATE or INSERT that skips Django's validation, which must raise IntegrityError) and
through the model's form (the admin's), which must answer with a French message.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.test import RequestFactory

from actions.models import ActionSheet, IndicatorValue
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

from .factories import (
    ActionSheetFactory,
    ChallengeFactory,
    CommuneFactory,
    ConventionFactory,
    DomainFactory,
    FundingAmountFactory,
    FundingLineFactory,
    IndicatorValueFactory,
    MembershipFactory,
    ObjectiveFactory,
    PartnerFactory,
    PaymentFactory,
    SignatoryFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db


def admin_form(model, instance, changes, superuser):
    """The admin's form for `instance`, bound to its current values with `changes` applied."""
    request = RequestFactory().get("/")
    request.user = superuser
    model_admin = site._registry[model]
    form_class = model_admin.get_form(request, instance if instance.pk else None)
    data = {k: v for k, v in model_to_dict(instance).items() if v is not None}
    for key, value in list(data.items()):
        if isinstance(value, list):
            data[key] = [getattr(v, "pk", v) for v in value]
    data.update(changes)
    return form_class(data=data, instance=instance if instance.pk else None)


def all_errors(form):
    return " ".join(str(message) for messages in form.errors.values() for message in messages)


def existing_values(model, obj):
    return {
        f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields if not f.primary_key
    }


# name → (model, build(): (object to change, changes), expected French message)
def case_insee_format():
    return CommuneFactory(), {"insee_code": "8100"}


def case_insee_corsica_ok():
    return CommuneFactory(), {"insee_code": "2A004"}


def case_insee_not_commune():
    return PartnerFactory(kind=Partner.Kind.ASSOCIATION), {"insee_code": "81005"}


def case_siren_not_epci():
    return PartnerFactory(kind=Partner.Kind.CAF), {"siren": "248100745"}


def case_siren_format():
    return PartnerFactory(kind=Partner.Kind.EPCI), {"siren": "24810074"}


def case_epci_for_commune_only():
    epci = PartnerFactory(kind=Partner.Kind.EPCI, siren="248100745")
    return PartnerFactory(kind=Partner.Kind.ASSOCIATION), {"epci": epci.pk, "epci_id": epci.pk}


def case_insee_unique():
    CommuneFactory(insee_code="81005")
    return CommuneFactory(), {"insee_code": "81005"}


def case_convention_years_order():
    return ConventionFactory(), {"start_year": 2025, "end_year": 2023}


def case_convention_too_long():
    return ConventionFactory(), {"start_year": 2020, "end_year": 2026}


def case_signatory_unique():
    signatory = SignatoryFactory()
    other = SignatoryFactory(convention=signatory.convention)
    return other, {"partner": signatory.partner_id, "partner_id": signatory.partner_id}


def case_domain_unique():
    domain = DomainFactory()
    return DomainFactory(convention=domain.convention), {"name": domain.name}


def case_challenge_unique():
    challenge = ChallengeFactory()
    return ChallengeFactory(convention=challenge.convention), {"title": challenge.title}


def case_objective_unique():
    objective = ObjectiveFactory(number=1)
    return ObjectiveFactory(convention=objective.convention, number=2), {"number": 1}


def case_membership_unique():
    membership = MembershipFactory()
    other = MembershipFactory(user=membership.user)
    return other, {
        "convention": membership.convention_id,
        "convention_id": membership.convention_id,
    }


def case_sheet_progress():
    return ActionSheetFactory(), {"progress": 150}


def case_sheet_dates():
    return ActionSheetFactory(), {
        "planned_start": datetime.date(2024, 6, 1),
        "planned_end": datetime.date(2024, 1, 1),
    }


def case_sheet_unique_number():
    sheet = ActionSheetFactory(number=1)
    other = ActionSheetFactory(convention=sheet.convention, objective=sheet.objective, number=2)
    return other, {"number": 1}


def case_indicator_value_unique():
    value = IndicatorValueFactory()
    other = IndicatorValueFactory(indicator=value.indicator)
    return other, {"measured_on": value.measured_on}


def case_amount_negative():
    return FundingAmountFactory(), {"planned": Decimal("-5")}


def case_amount_unique_year():
    amount = FundingAmountFactory(year=2023)
    return FundingAmountFactory(line=amount.line, year=2024), {"year": 2023}


def case_payment_negative():
    return PaymentFactory(), {"amount": Decimal("-10")}


def case_line_unique_label():
    line = FundingLineFactory()
    other = FundingLineFactory(convention=line.convention, funder=line.funder)
    # The same label but for case and accents: the key (what is unique) is the same.
    return other, {"label": line.label.upper(), "key": line.key}


def case_structure_unique():
    structure = StructureFactory()
    return StructureFactory(convention=structure.convention), {"name": structure.name}


CASES = [
    (Partner, case_insee_format, "code INSEE"),
    (Partner, case_insee_not_commune, "Seule une commune a un code INSEE"),
    (Partner, case_siren_not_epci, "Seul un EPCI a un numéro SIREN"),
    (Partner, case_siren_format, "SIREN"),
    (Partner, case_epci_for_commune_only, "Seule une commune appartient à un EPCI"),
    (Partner, case_insee_unique, "a déjà ce code INSEE"),
    (Convention, case_convention_years_order, "la première année"),
    (Convention, case_convention_too_long, "cinq ans au plus"),
    (Signatory, case_signatory_unique, "a déjà signé"),
    (Domain, case_domain_unique, "a déjà un domaine de ce nom"),
    (Challenge, case_challenge_unique, "a déjà un enjeu de ce titre"),
    (StrategicObjective, case_objective_unique, "a déjà un objectif de ce numéro"),
    (Membership, case_membership_unique, "déjà membre"),
    (ActionSheet, case_sheet_progress, "inférieure ou égale à 100"),
    (ActionSheet, case_sheet_dates, "fin prévue"),
    (ActionSheet, case_sheet_unique_number, "a déjà une fiche action de ce numéro"),
    (IndicatorValue, case_indicator_value_unique, "a déjà une valeur à cette date"),
    (FundingAmount, case_amount_negative, "Un montant ne peut pas être négatif"),
    (FundingAmount, case_amount_unique_year, "a déjà un montant pour cette année"),
    (Payment, case_payment_negative, "Un versement est un montant positif"),
    (FundingLine, case_line_unique_label, "a déjà une ligne de financement de ce libellé"),
    (Structure, case_structure_unique, "a déjà une structure de ce nom"),
]


@pytest.mark.parametrize(("model", "build", "message"), CASES, ids=[c[1].__name__ for c in CASES])
def test_database_refuses(model, build, message):
    obj, changes = build()
    db_changes = {k: v for k, v in changes.items() if k in {f.attname for f in model._meta.fields}}
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=obj.pk).update(**db_changes)


@pytest.mark.parametrize(("model", "build", "message"), CASES, ids=[c[1].__name__ for c in CASES])
def test_form_answers_in_french(model, build, message, superuser):
    obj, changes = build()
    form = admin_form(model, obj, changes, superuser)
    assert not form.is_valid()
    assert message in all_errors(form), form.errors


def test_corsican_insee_code_accepted(superuser):
    obj, changes = case_insee_corsica_ok()
    form = admin_form(Partner, obj, changes, superuser)
    assert form.is_valid(), form.errors
    form.save()
    obj.refresh_from_db()
    assert obj.insee_code == "2A004"


def test_siren_check_digit_refused_in_form(superuser):
    epci = PartnerFactory(kind=Partner.Kind.EPCI)
    form = admin_form(Partner, epci, {"siren": "248100746"}, superuser)
    assert not form.is_valid()
    assert "SIREN" in all_errors(form)


def test_done_sheet_is_at_100(superuser):
    sheet = ActionSheetFactory(progress=40)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionSheet.objects.filter(pk=sheet.pk).update(status=ActionSheet.Status.DONE)
    sheet.status = ActionSheet.Status.DONE
    sheet.save(update_fields=["status"])
    sheet.refresh_from_db()
    assert sheet.progress == 100


def test_amount_year_outside_period_refused_in_form(superuser, seeded):
    line = seeded.funding_lines.first()
    amount = FundingAmount(line=line, year=2026, planned=Decimal("10"))
    form = admin_form(FundingAmount, amount, {"line": line.pk}, superuser)
    assert not form.is_valid()
    assert "période de la convention (2023–2025)" in all_errors(form)
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingAmount.objects.create(line=line, year=1999, planned=Decimal("10"))


def case_sheet_foreign_domain():
    sheet = ActionSheetFactory()
    return sheet, {"domains": [DomainFactory().pk]}


def case_sheet_foreign_objective():
    sheet = ActionSheetFactory()
    return sheet, {"objective": ObjectiveFactory().pk}


def case_objective_foreign_challenge():
    return ObjectiveFactory(), {"challenges": [ChallengeFactory().pk]}


def case_line_foreign_structure():
    return FundingLineFactory(), {"structure": StructureFactory().pk}


# Links to another convention's objects: no database constraint can see them (two tables), the
# admin's form refuses them: on a change page by its choices (the object's convention's only),
# on the add page (the convention chosen in the same form) by the model's clean() for a foreign
# key and by the form's own check for a many-to-many field.
FOREIGN_CASES = [
    (ActionSheet, case_sheet_foreign_domain, "domains", "ce qui relève de cette convention"),
    (ActionSheet, case_sheet_foreign_objective, "objective", "un objectif de la convention"),
    (StrategicObjective, case_objective_foreign_challenge, "challenges", "ce qui relève de"),
    (FundingLine, case_line_foreign_structure, "structure", "une structure de la convention"),
]


@pytest.mark.parametrize(
    ("model", "build", "field", "message"),
    FOREIGN_CASES,
    ids=[c[1].__name__ for c in FOREIGN_CASES],
)
@pytest.mark.parametrize("adding", [False, True], ids=["change", "add"])
def test_links_to_another_convention_refused_in_form(
    model, build, field, message, adding, superuser
):
    obj, changes = build()
    if adding:
        changes = {**changes, "convention": obj.convention_id}
        obj.delete()  # the same object, to be added anew
        obj = model(**{f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields})
        obj.pk = None
    form = admin_form(model, obj, changes, superuser)
    assert not form.is_valid()
    expected = message if adding else "Sélectionnez un choix valide"
    assert list(form.errors) == [field]
    assert expected in all_errors(form)


def test_links_within_the_convention_accepted_in_form(superuser):
    sheet = ActionSheetFactory()
    domain = DomainFactory(convention=sheet.convention)
    form = admin_form(ActionSheet, sheet, {"domains": [domain.pk]}, superuser)
    assert form.is_valid(), form.errors
