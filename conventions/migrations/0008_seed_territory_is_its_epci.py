"""The seed convention's signatories as the article names them: its communes, the mairies of
St-Amans-Soult and Pont-de-l'Arn and the CAF du Tarn (12 parties). The Communauté de communes,
recorded as a signatory by earlier seeds, is the convention's territory instead."""

from django.db import migrations

SEED_SLUG = "thore-montagne-noire-2023-2025"
SEED_EPCI_SIREN = "248100745"


def territory_not_signatory(apps, schema_editor):
    Convention = apps.get_model("conventions", "Convention")
    Partner = apps.get_model("conventions", "Partner")
    Signatory = apps.get_model("conventions", "Signatory")
    convention = Convention.objects.filter(slug=SEED_SLUG).first()
    epci = Partner.objects.filter(kind="epci", siren=SEED_EPCI_SIREN).first()
    if convention is None or epci is None:
        return
    Signatory.objects.filter(convention=convention, partner=epci).delete()
    if convention.epci_id is None:
        convention.epci = epci
        convention.save(update_fields=["epci"])


def territory_as_signatory(apps, schema_editor):
    Convention = apps.get_model("conventions", "Convention")
    Signatory = apps.get_model("conventions", "Signatory")
    convention = Convention.objects.filter(slug=SEED_SLUG, epci__isnull=False).first()
    if convention is None:
        return
    signed_on = convention.signed_on
    Signatory.objects.get_or_create(
        convention=convention, partner=convention.epci, defaults={"signed_on": signed_on}
    )


class Migration(migrations.Migration):
    dependencies = [("conventions", "0007_status_from_dates_and_renewal")]

    operations = [migrations.RunPython(territory_not_signatory, territory_as_signatory)]
