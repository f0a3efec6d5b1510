"""Backup and restore of one convention with everything that belongs to it, history included.

The file is JSON: Django's serialisation of every object, primary keys kept, in an order that
can be loaded back (partners and users the convention refers to come first). Restoring writes
the objects as they were ("raw" saves: no new history, no recomputed field) on a database
that holds none of them yet.
"""

import datetime
import json

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from actions.models import (
    ActionSheet,
    Indicator,
    IndicatorValue,
    ProgressNote,
    Step,
    link_history_models,
)
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

FORMAT = "ctg-portal-convention"
VERSION = 1
USER_FIELDS = [
    "password",
    "last_login",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "email",
    "is_staff",
    "is_active",
    "date_joined",
]


class RestoreError(Exception):
    pass


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder rounds times to the millisecond; a backup keeps the microseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


def ordered(queryset):
    return list(queryset.order_by("pk"))


def collect(convention):
    """[(model label, [objects])] in loading order."""
    sheets = ActionSheet.objects.filter(convention=convention)
    lines = FundingLine.objects.filter(convention=convention)
    amounts = FundingAmount.objects.filter(line__convention=convention)
    groups = [
        (Convention, Convention.objects.filter(pk=convention.pk)),
        (Signatory, Signatory.objects.filter(convention=convention)),
        (Domain, Domain.objects.filter(convention=convention)),
        (Challenge, Challenge.objects.filter(convention=convention)),
        (StrategicObjective, StrategicObjective.objects.filter(convention=convention)),
        (Membership, Membership.objects.filter(convention=convention)),
        (ActionSheet, sheets),
        (Step, Step.objects.filter(sheet__in=sheets)),
        (Indicator, Indicator.objects.filter(sheet__in=sheets)),
        (IndicatorValue, IndicatorValue.objects.filter(indicator__sheet__in=sheets)),
        (ProgressNote, ProgressNote.objects.filter(sheet__in=sheets)),
        (Structure, Structure.objects.filter(convention=convention)),
        (FundingLine, lines),
        (FundingAmount, amounts),
        (Payment, Payment.objects.filter(funding_amount__in=amounts)),
        # History, including rows of objects deleted since (matched by their former parent).
        (Convention.history.model, Convention.history.filter(id=convention.pk)),
        (ActionSheet.history.model, ActionSheet.history.filter(convention_id=convention.pk)),
        # The links each sheet record held (domains, pilots, partners, communes).
        *(
            (model, model.objects.filter(history__convention_id=convention.pk))
            for model in link_history_models().values()
        ),
        (Step.history.model, Step.history.filter(sheet__convention=convention)),
        (Indicator.history.model, Indicator.history.filter(sheet__convention=convention)),
        (FundingLine.history.model, FundingLine.history.filter(convention_id=convention.pk)),
        (
            FundingAmount.history.model,
            FundingAmount.history.filter(line__convention=convention),
        ),
        (
            Payment.history.model,
            Payment.history.filter(funding_amount__line__convention=convention),
        ),
    ]
    groups = [(model, ordered(queryset)) for model, queryset in groups]

    # Partners and people the history links to, though the sheets may no longer name them.
    linked = {Partner: set(), get_user_model(): set()}
    for model, objects in groups:
        if model in link_history_models().values():
            for field in model._meta.fields:
                if field.related_model in linked:
                    linked[field.related_model] |= {getattr(r, field.attname) for r in objects}

    partner_ids = linked[Partner] | set(
        Partner.objects.filter(
            Q(signatures__convention=convention)
            | Q(led_action_sheets__convention=convention)
            | Q(partner_action_sheets__convention=convention)
            | Q(commune_action_sheets__convention=convention)
            | Q(operated_structures__convention=convention)
            | Q(structures__convention=convention)
            | Q(funded_lines__convention=convention)
        ).values_list("pk", flat=True)
    )
    partner_ids |= set(
        Partner.objects.filter(pk__in=partner_ids, epci__isnull=False).values_list(
            "epci_id", flat=True
        )
    )
    partners = ordered(Partner.objects.filter(pk__in=partner_ids))
    # EPCIs before their communes (a commune points to its EPCI).
    partners.sort(key=lambda p: (p.epci_id is not None, p.pk))

    user_ids = linked[get_user_model()] | {m.user_id for m in groups[5][1]}
    for sheet in groups[6][1]:
        user_ids |= {u.pk for u in sheet.pilots.all()}
    for _model, objects in groups:
        for obj in objects:
            for name in ("author_id", "history_user_id"):
                if getattr(obj, name, None):
                    user_ids.add(getattr(obj, name))
    users = ordered(get_user_model().objects.filter(pk__in=user_ids))
    return [(Partner, partners), (get_user_model(), users), *groups]


def export_convention(convention):
    """The JSON text of a convention's backup."""
    objects = []
    for model, items in collect(convention):
        fields = USER_FIELDS if model is get_user_model() else None
        objects += json.loads(serializers.serialize("json", items, fields=fields, cls=ExactEncoder))
    return json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "convention": convention.slug,
            "exported_at": timezone.now().isoformat(),
            "objects": objects,
        },
        ensure_ascii=False,
        indent=1,
        sort_keys=True,
    )


@transaction.atomic
def import_convention(text):
    """Restore a backup. Refuses (RestoreError) when any of its objects already exists."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RestoreError(f"Not a JSON file: {error}") from None
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise RestoreError("Not a CTG Portal convention backup (format or version).")
    conflicts = []
    by_model = {}
    for item in data["objects"]:
        by_model.setdefault(item["model"], []).append(item["pk"])
    for label, pks in by_model.items():
        model = apps.get_model(label)
        existing = model._default_manager.filter(pk__in=pks).count()
        if existing:
            conflicts.append(f"{label}: {existing}")
    if conflicts:
        raise RestoreError(
            "The database already holds objects of this backup (restore onto an empty "
            "database): " + ", ".join(conflicts)
        )
    restored = 0
    models = set()
    for deserialized in serializers.deserialize("json", json.dumps(data["objects"])):
        # Raw: no signal handler writes history or changes a field; the links of a sheet are
        # set after it, which would write a history record of their own: skipped.
        deserialized.object.skip_history_when_saving = True
        deserialized.save()
        models.add(type(deserialized.object))
        restored += 1
    # Later inserts must not collide with the restored primary keys (PostgreSQL sequences).
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return data["convention"], restored
