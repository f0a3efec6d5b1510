"""Backup and restore of one convention with everything that belongs to it, history included.

The backup is JSON: Django's serialisation of every object, primary keys as they were, in an
order that can be loaded back: the partners and users the convention or its history names,
the convention and its objects, then simple-history's records (the rows of the sheets' links
included).

A restore (`restore`, the command import_convention) writes the convention into a portal that
may hold others, in one transaction: an error writes nothing.

- A convention of the backup's slug already there: refused. With `replace` it is deleted first,
  with its history (the records of its deletion too): the backup's takes its place.
- The convention's CAF (`caf`, a partner of kind CAF) travels with the other partners it names
  and is matched or created the same way; its `department` is a field of the convention. The
  CAF-level memberships (CafMembership: a user's standing at a CAF, for all the CAF's
  conventions) belong to the CAF, not to one convention: a backup holds none, a restore writes
  none and leaves those of the portal as they are (a restored convention whose CAF is matched
  is read at once by that CAF's members).
- Shared objects are matched, never changed. A user by username. A partner by its SIREN (an
  EPCI) or INSEE code (a commune) when it has one, else by kind and name (a coded partner also
  matches one of its kind and name without a code); each partner of the portal stands for one
  of the backup at most, lowest id first. One not found is created as the backup has it: a user
  with the backup's password hash and flags, no group or permission.
- Every other object is the convention's own (structures and funding lines too: funders are
  partners) and is created. Its id, and every reference to it (foreign keys, many-to-many
  links, history records: their `history_id`, the `id` of the object they describe, their
  own references), go through one map, old id → new id, per table. A table's ids are all kept
  when they can be, else all taken anew from its sequence, in the same order (pages and
  histories order by id on ties). They are kept:
  * on a portal whose table never held them (a new or flushed database): the copy is exact;
  * after the convention was deleted from this portal, or when it replaces itself (its
    history records, identical to the backup's, are still there): its ids are free and were
    its own. The records of its objects there, the backup's rows and those written since (the
    later changes, the deletion), are replaced by the backup's: the restore rewinds the
    convention to the backup, history included, and no record is there twice.
  References to objects the backup does not hold (deleted before it, still named by history
  records) go through the same maps: they keep naming no object. The `id` of a link's history
  row (the row of the link table it recorded) is kept: nothing reads it.
- Records of objects that are not the backup's stay as simple-history left them: those of
  objects created after the backup, and those of a convention restored beside its original
  (ids remapped) and deleted since without --replace (nothing ties them to the backup's).
- Meetings (their attendance, agenda and decisions, with their links to objectives, sheets,
  owners and pilots to add) and documents, the deleted ones included (`Document.all_objects`),
  are the convention's own, with their history records. The documents' files travel in the
  same JSON file, base64 under "files" ({stored name: content}): a backup stays one file to
  keep or send (a file takes a third more room there). A file is restored under its stored
  name when no document of the portal uses it (the very file already there is left as it is),
  else under a new random name, its document and records renamed. A restore the database
  refuses removes the files it wrote; with `replace`, the files of the replaced convention no
  restored document uses are removed once the restore is committed.
- The yearly bilans (each sheet's reviews, with who submitted and validated them and the
  meeting that approved them; the year's synthesis) and the evaluation (its answers, with the
  indicators they rest on) are the convention's own too, with their history records (an
  answer's records with the indicators each held, as a sheet's with its links); the records
  of a deleted sheet's reviews and of a deleted evaluation's answers are found through the
  records of their sheet or evaluation, as a deleted meeting's decisions are.
- Rows are written in bulk, without signals: the restore writes no history record of its own
  and recomputes no field (`created_at` included), and sends no e-mail (`muted`).
"""

import base64
import binascii
import datetime
import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import muted
from actions.models import (
    ActionSheet,
    Indicator,
    IndicatorValue,
    ProgressNote,
    Step,
    link_history_models,
)
from bilans.models import SheetReview, YearBilan
from committees.models import AgendaItem, Attendance, Decision, Meeting
from conventions.models import (
    Challenge,
    Convention,
    Domain,
    Membership,
    Partner,
    Signatory,
    StrategicObjective,
)
from documents.models import Document
from evaluations.models import Evaluation, ObjectiveEvaluation
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
# Ids per query: below SQLite's oldest limit of variables.
CHUNK = 500


def chunks(ids):
    ids = list(ids)
    return (ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK))


class RestoreError(Exception):
    pass


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder rounds times to the millisecond; a backup keeps the microseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


def records_of():
    """{tracked model: the model of its history records}."""
    tracked = [
        Convention,
        ActionSheet,
        Step,
        Indicator,
        FundingLine,
        FundingAmount,
        Payment,
        Meeting,
        Decision,
        Document,
        SheetReview,
        YearBilan,
        Evaluation,
        ObjectiveEvaluation,
    ]
    return {model: model.history.model for model in tracked}


def link_records_of():
    """{tracked model: the models of the rows of links its history records hold} (one row per
    linked object and record: a sheet's domains, pilots, partners and communes, an evaluation
    answer's indicators)."""
    return {
        ActionSheet: list(link_history_models().values()),
        ObjectiveEvaluation: [ObjectiveEvaluation.history.model.indicators.model],
    }


def backup_models():
    """Every model a backup holds, in loading order (a link's rows after their record)."""
    records = records_of()
    return [
        Partner,
        get_user_model(),
        Convention,
        Signatory,
        Domain,
        Challenge,
        StrategicObjective,
        Membership,
        ActionSheet,
        Step,
        Indicator,
        IndicatorValue,
        ProgressNote,
        Structure,
        FundingLine,
        FundingAmount,
        Payment,
        Meeting,
        Attendance,
        AgendaItem,
        Decision,
        Document,
        SheetReview,
        YearBilan,
        Evaluation,
        ObjectiveEvaluation,
        records[Convention],
        records[ActionSheet],
        *link_records_of()[ActionSheet],
        *(
            records[model]
            for model in (
                Step,
                Indicator,
                FundingLine,
                FundingAmount,
                Payment,
                Meeting,
                Decision,
                Document,
                SheetReview,
                YearBilan,
                Evaluation,
                ObjectiveEvaluation,
            )
        ),
        *link_records_of()[ObjectiveEvaluation],
    ]


def ordered(queryset):
    return list(queryset.order_by("pk"))


def history(convention):
    """[(record model, queryset)]: the convention's history records, in loading order, those of
    objects deleted since included (matched by their former parent)."""
    # Matched by the records of their evaluation: those of a deleted evaluation too.
    answer_records = ObjectiveEvaluation.history.filter(
        evaluation_id__in=Evaluation.history.filter(convention_id=convention.pk).values("id")
    )
    return [
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
        (Meeting.history.model, Meeting.history.filter(convention_id=convention.pk)),
        # Matched by the records of their meeting: those of a deleted meeting too.
        (
            Decision.history.model,
            Decision.history.filter(
                meeting_id__in=Meeting.history.filter(convention_id=convention.pk).values("id")
            ),
        ),
        (Document.history.model, Document.history.filter(convention_id=convention.pk)),
        # Matched by the records of their sheet: those of a deleted sheet's reviews too.
        (
            SheetReview.history.model,
            SheetReview.history.filter(
                sheet_id__in=ActionSheet.history.filter(convention_id=convention.pk).values("id")
            ),
        ),
        (YearBilan.history.model, YearBilan.history.filter(convention_id=convention.pk)),
        (Evaluation.history.model, Evaluation.history.filter(convention_id=convention.pk)),
        (ObjectiveEvaluation.history.model, answer_records),
        # The indicators each answer's record rested on.
        *(
            (model, model.objects.filter(history__in=answer_records.values("history_id")))
            for model in link_records_of()[ObjectiveEvaluation]
        ),
    ]


def collect(convention):
    """[(model, [objects])] in loading order."""
    sheets = ActionSheet.objects.filter(convention=convention)
    lines = FundingLine.objects.filter(convention=convention)
    amounts = FundingAmount.objects.filter(line__convention=convention)
    meetings = Meeting.objects.filter(convention=convention)
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
        (Meeting, meetings),
        (Attendance, Attendance.objects.filter(meeting__in=meetings)),
        (AgendaItem, AgendaItem.objects.filter(meeting__in=meetings)),
        (Decision, Decision.objects.filter(meeting__in=meetings)),
        # The deleted documents too: the admin may still restore them.
        (Document, documents_of(convention)),
        (SheetReview, SheetReview.objects.filter(sheet__in=sheets)),
        (YearBilan, YearBilan.objects.filter(convention=convention)),
        (Evaluation, Evaluation.objects.filter(convention=convention)),
        (
            ObjectiveEvaluation,
            ObjectiveEvaluation.objects.filter(evaluation__convention=convention),
        ),
        *history(convention),
    ]
    groups = [(model, ordered(queryset)) for model, queryset in groups]

    # Partners and people the objects and their history name (a record may name one the
    # sheets no longer do: a former lead partner, pilot or funder).
    User = get_user_model()
    linked = {Partner: set(), User: set()}
    for model, objects in groups:
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in linked:
                values = {getattr(obj, field.attname) for obj in objects}
                linked[field.related_model] |= values - {None}

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

    pilots = ActionSheet.pilots.through.objects.filter(actionsheet__convention=convention)
    user_ids = linked[User] | set(pilots.values_list("user_id", flat=True))
    users = ordered(User.objects.filter(pk__in=user_ids))
    return [(Partner, partners), (User, users), *groups]


def documents_of(convention):
    """The convention's documents, the deleted ones (Document.all_objects) included."""
    return Document.all_objects.filter(convention=convention)


def file_storage():
    return Document._meta.get_field("file").storage


# The names the documents' files are stored under (documents.models.stored_name): nothing else
# is read from, or written to, the storage by a backup.
STORED_NAME = re.compile(r"documents/[0-9]+/[0-9a-f]{32}")


def stored_files(convention):
    """{stored name: content} of the files of the convention's documents (deleted ones
    included) the storage holds; a file missing from the storage is left out (its document
    keeps its name, and its download fails as it did before)."""
    storage = file_storage()
    files = {}
    names = documents_of(convention).exclude(file="").values_list("file", flat=True)
    for name in sorted(set(names)):
        if STORED_NAME.fullmatch(name) and storage.exists(name):
            with storage.open(name, "rb") as handle:
                files[name] = handle.read()
    return files


def delete_convention(convention):
    """Delete a convention with everything that belongs to it (not its partners and users).

    Its sheets and funding lines first: they refer to its objectives and structures through
    protected keys, for which `convention.delete()` alone raises ProtectedError.
    """
    ActionSheet.objects.filter(convention=convention).delete()
    FundingLine.objects.filter(convention=convention).delete()
    convention.delete()


def export_convention(convention):
    """The JSON text of a convention's backup."""
    objects = []
    for model, items in collect(convention):
        fields = USER_FIELDS if model is get_user_model() else None
        serialized = json.loads(
            serializers.serialize("json", items, fields=fields, cls=ExactEncoder)
        )
        for item in serialized:
            # A backup holds one convention: the links of a renewal to the convention before
            # or after it (and their sheets) are left out, the restored copy stands alone.
            item["fields"].pop("predecessor", None)
        objects += serialized
    return json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "convention": convention.slug,
            "exported_at": timezone.now().isoformat(),
            "objects": objects,
            # The documents' files, in the one JSON file (a backup stays one file to keep or
            # send), base64: {stored name: content}.
            "files": {
                name: base64.b64encode(content).decode("ascii")
                for name, content in stored_files(convention).items()
            },
        },
        ensure_ascii=False,
        indent=1,
        sort_keys=True,
    )


def parse_backup(text):
    """The backup's data, checked: its format, and only objects a convention's backup holds."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RestoreError(_("Not a JSON file: %(error)s") % {"error": error}) from None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or data.get("version") != VERSION
        or not isinstance(data.get("objects"), list)
    ):
        raise RestoreError(_("Not a CTG Portal convention backup (format or version)."))
    labels = {model._meta.label_lower for model in backup_models()}
    for item in data["objects"]:
        if not (
            isinstance(item, dict)
            and item.get("model") in labels
            and type(item.get("pk")) is int
            and isinstance(item.get("fields"), dict)
        ):
            shown = item.get("model") if isinstance(item, dict) else item
            raise RestoreError(
                _("The backup holds an object no convention’s backup holds: %(object)s")
                % {"object": shown}
            )
    conventions = [item for item in data["objects"] if item["model"] == "conventions.convention"]
    if len(conventions) != 1 or conventions[0]["fields"].get("slug") != data.get("convention"):
        raise RestoreError(_("The backup must hold one convention, the one it names."))
    data["files"] = parse_files(data)
    return data


def parse_files(data):
    """{stored name: bytes} of the backup's files (none in a backup written before documents
    had files): each under a stored name, named by one of its documents, readable base64."""
    files = data.get("files", {})
    if not isinstance(files, dict):
        raise RestoreError(_("The backup’s files are unreadable."))
    named = {
        item["fields"].get("file")
        for item in data["objects"]
        if item["model"] == Document._meta.label_lower
    }
    decoded = {}
    for name, content in files.items():
        if not (isinstance(name, str) and STORED_NAME.fullmatch(name) and name in named):
            raise RestoreError(
                _("The backup holds a file none of its documents names: %(name)s") % {"name": name}
            )
        try:
            decoded[name] = base64.b64decode(content, validate=True)
        except (TypeError, ValueError, binascii.Error):
            raise RestoreError(
                _("The backup’s file %(name)s is unreadable.") % {"name": name}
            ) from None
    return decoded


@dataclass(frozen=True)
class Restored:
    slug: str
    created: int  # objects written
    matched: int  # users and partners the portal held already


def import_convention(text, *, replace=False):
    """Restore a backup's text (see the module's docstring). Raises RestoreError."""
    return restore(parse_backup(text), replace=replace)


def restore(data, *, replace=False):
    """Restore a backup read by `parse_backup`, all or nothing (the files it wrote are removed
    when the database refuses it). Raises RestoreError."""
    job = Restore(data)
    try:
        with muted(), transaction.atomic():
            return job.run(replace=replace)
    except (IntegrityError, DataError) as error:
        job.discard_files()
        raise RestoreError(
            _("The database refused the backup, nothing was written: %(error)s") % {"error": error}
        ) from None
    except BaseException:
        job.discard_files()
        raise


def deserialize(objects):
    """{model: [deserialized objects]} in loading order; a user keeps only USER_FIELDS (a
    backup grants no group or permission)."""
    user_label = get_user_model()._meta.label_lower
    objects = [
        {**item, "fields": {k: v for k, v in item["fields"].items() if k in USER_FIELDS}}
        if item["model"] == user_label
        else item
        for item in objects
    ]
    groups = {model: [] for model in backup_models()}
    try:
        for item in serializers.deserialize("python", objects):
            groups[type(item.object)].append(item)
    except (DeserializationError, ValidationError, ValueError, TypeError) as error:
        raise RestoreError(
            _("The backup holds an unreadable object: %(error)s") % {"error": error}
        ) from None
    return {model: items for model, items in groups.items() if items}


def foreign_keys(model):
    return [field for field in model._meta.concrete_fields if field.is_relation]


class Restore:
    def __init__(self, data):
        self.slug = data["convention"]
        self.groups = deserialize(data["objects"])
        self.convention = self.groups[Convention][0].object
        self.ids = defaultdict(dict)  # model: {id in the backup: id in the portal}
        self.matched = set()  # (model, id in the backup) of the users and partners found
        self.files = data.get("files", {})  # {stored name: content}
        self.file_names = {}  # {stored name in the backup: stored name in the portal}
        self.written = []  # names of the files this restore wrote
        self.doomed = set()  # names of the files of the convention it replaces

    def run(self, *, replace):
        existing = Convention.objects.filter(slug=self.slug).first()
        if existing is not None and not replace:
            raise RestoreError(
                _(
                    "The database already holds the convention “%(slug)s”: nothing was "
                    "written (--replace deletes it and restores the backup in its place)."
                )
                % {"slug": self.slug}
            )
        self.rewind = self.deleted_here(replaced=existing)
        if existing is not None:
            self.replace(existing)
        self.match_users()
        self.match_partners()
        self.map_ids()
        self.place_files()
        created = self.write()
        self.forget_replaced_files()
        return Restored(self.slug, created, len(self.matched))

    def place_files(self):
        """Write the backup's files into the storage, each under its stored name when no
        document of the portal uses that name and the storage holds no other content under
        it, else under a new random name (its documents and their records renamed)."""
        storage = file_storage()
        names = sorted(self.files)
        used = set()
        for chunk in chunks(names):
            used |= set(Document.all_objects.filter(file__in=chunk).values_list("file", flat=True))
        convention_id = self.ids[Convention][self.convention.pk]
        for name in names:
            content = self.files[name]
            if name not in used and storage.exists(name):
                with storage.open(name, "rb") as handle:
                    if handle.read() == content:
                        self.file_names[name] = name  # the very file, left there
                        continue
            wanted = name
            if name in used or storage.exists(name):
                wanted = f"documents/{convention_id}/{uuid.uuid4().hex}"
            saved = storage.save(wanted, ContentFile(content))
            self.written.append(saved)
            self.file_names[name] = saved

    def discard_files(self):
        """Remove the files this restore wrote (the database refused the backup)."""
        storage = file_storage()
        for name in self.written:
            storage.delete(name)
        self.written = []

    def forget_replaced_files(self):
        """The files of the replaced convention that no document uses any more are removed
        once the restore is committed (never before: a failure leaves them in place)."""
        doomed = set(self.doomed)
        for chunk in chunks(sorted(doomed)):
            doomed -= set(
                Document.all_objects.filter(file__in=chunk).values_list("file", flat=True)
            )
        if doomed:
            storage = file_storage()
            transaction.on_commit(lambda: delete_files(storage, sorted(doomed)))

    def deleted_here(self, replaced):
        """True when the backup's convention was deleted from this portal, or is the one
        `replaced`: gone, but its history records, identical to the backup's, still there."""
        records = [item.object for item in self.groups.get(Convention.history.model, [])]
        live = Convention.objects.filter(pk=self.convention.pk)
        if replaced is not None:
            live = live.exclude(pk=replaced.pk)
        if not records or live.exists():
            return False
        found = dict(
            Convention.history.filter(
                id=self.convention.pk, history_id__in=[r.history_id for r in records]
            ).values_list("history_id", "history_date")
        )
        return any(found.get(r.history_id) == r.history_date for r in records)

    def replace(self, convention):
        """Delete `convention` with its history (the records simple-history writes of the
        deletion included): the backup's takes its place."""
        tracked = {records: model for model, records in records_of().items()}
        ids = {
            tracked[records]: set(queryset.values_list("id", flat=True))
            for records, queryset in history(convention)
            if records in tracked
        }
        self.doomed = {
            name
            for name in documents_of(convention).exclude(file="").values_list("file", flat=True)
            if STORED_NAME.fullmatch(name)
        }
        delete_convention(convention)
        for model, pks in ids.items():
            self.drop_records(model, pks)

    def match_users(self):
        User = get_user_model()
        items = self.groups.get(User, [])
        found = dict(
            User._default_manager.filter(
                username__in=[item.object.username for item in items]
            ).values_list("username", "pk")
        )
        for item in items:
            pk = found.get(item.object.username)
            if pk is not None:
                self.found(User, item.object.pk, pk)

    def match_partners(self):
        items = [item.object for item in self.groups.get(Partner, [])]
        candidates = Partner.objects.filter(
            Q(siren__in=[p.siren for p in items if p.siren])
            | Q(insee_code__in=[p.insee_code for p in items if p.insee_code])
            | Q(name__in=[p.name for p in items])
        ).order_by("pk")
        known = defaultdict(list)  # key: [ids of the portal's partners], lowest first
        for partner in candidates:
            for key in known_by(partner):
                known[key].append(partner.pk)
        taken = set()
        # Coded partners first: a code is a surer match than a name.
        for partner in sorted(items, key=lambda p: code(p) is None):
            for key in looked_up_by(partner):
                pk = next((pk for pk in known[key] if pk not in taken), None)
                if pk is not None:
                    taken.add(pk)
                    self.found(Partner, partner.pk, pk)
                    break

    def found(self, model, old, new):
        self.ids[model][old] = new
        self.matched.add((model, old))

    def map_ids(self):
        """Fill self.ids for every id the backup names, by table, in loading order: a tracked
        model's ids are settled (and, rewinding, its records dropped) before its records'."""
        wanted = defaultdict(set)
        records = set(records_of().values())
        for model, items in self.groups.items():
            fields = foreign_keys(model)
            for item in items:
                obj = item.object
                wanted[model].add(obj.pk)
                for field in fields:
                    value = getattr(obj, field.attname)
                    if value is not None:
                        wanted[field.related_model].add(value)
                if model in records:
                    wanted[model.instance_type].add(obj.id)
                for name, values in item.m2m_data.items():
                    wanted[model._meta.get_field(name).related_model].update(values)
        for model in backup_models():
            ids = wanted.pop(model, set()) - self.ids[model].keys()
            if ids:
                self.ids[model].update(self.allocate(model, sorted(ids)))
        if wanted:
            raise RestoreError(
                _("The backup refers to objects of %(models)s")
                % {"models": ", ".join(map(str, wanted))}
            )

    def allocate(self, model, ids):
        """{old id: new id} for the sorted `ids` of `model` (see the module's docstring)."""
        if self.rewind:
            held = set()
            for chunk in chunks(ids):
                held |= set(model._base_manager.filter(pk__in=chunk).values_list("pk", flat=True))
            self.drop_records(model, [pk for pk in ids if pk not in held])
            keep = not held
        else:
            top = high_water(model)
            keep = ids[0] > top
        if keep:
            raise_sequence(model, ids[-1])
            return {pk: pk for pk in ids}
        return dict(zip(ids, take_ids(model, len(ids)), strict=True))

    def drop_records(self, model, ids):
        """The history records of `model`'s deleted objects `ids`, which the backup's replace."""
        records = records_of().get(model)
        if records is None:
            return
        for chunk in chunks(ids):
            doomed = records._default_manager.filter(id__in=chunk)
            # The rows of their links name their record without a constraint: removed first.
            for links in link_records_of().get(model, []):
                links._default_manager.filter(history__in=doomed.values("history_id")).delete()
            doomed.delete()

    def write(self):
        records = set(records_of().values())
        file_models = {Document, Document.history.model}
        links = defaultdict(set)  # many-to-many field: {(id, linked id)}
        created = 0
        for model, items in self.groups.items():
            ids = self.ids[model]
            fields = foreign_keys(model)
            objects = []
            for item in items:
                obj = item.object
                for name, values in item.m2m_data.items():
                    field = model._meta.get_field(name)
                    targets = self.ids[field.related_model]
                    links[field] |= {(ids[obj.pk], targets[value]) for value in values}
                if (model, obj.pk) in self.matched:
                    continue
                obj.pk = ids[obj.pk]
                for field in fields:
                    value = getattr(obj, field.attname)
                    if value is not None:
                        setattr(obj, field.attname, self.ids[field.related_model][value])
                if model in records:
                    obj.id = self.ids[model.instance_type][obj.id]
                if model in file_models and obj.file:
                    # A FieldFile on a document, its name (a string) on a history record.
                    name = getattr(obj.file, "name", obj.file)
                    obj.file = self.file_names.get(name, name)
                objects.append(obj)
            insert(model, objects)
            created += len(objects)
        for field, pairs in links.items():
            through = field.remote_field.through
            source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
            through._default_manager.bulk_create(
                through(**{f"{source}_id": a, f"{target}_id": b}) for a, b in sorted(pairs)
            )
        # Within the transaction, so that a broken reference is refused here, also when the
        # caller's own transaction goes on (the constraints are checked at commit otherwise).
        tables = [model._meta.db_table for model in self.groups]
        tables += [field.remote_field.through._meta.db_table for field in links]
        connection.check_constraints(table_names=tables)
        return created


def delete_files(storage, names):
    for name in names:
        storage.delete(name)


def code(partner):
    """A partner's key when it has a code: its SIREN (an EPCI) or INSEE code (a commune)."""
    if partner.siren:
        return ("siren", partner.siren)
    if partner.insee_code:
        return ("insee", partner.insee_code)
    return None


def known_by(partner):
    """The keys a partner of the portal is found by."""
    keys = [("name", partner.kind, partner.name)]
    if code(partner) is None:
        keys.append(("uncoded", partner.kind, partner.name))
    else:
        keys.append(code(partner))
    return keys


def looked_up_by(partner):
    """The keys a partner of the backup is looked up by, surest first: its code, else its
    kind and name; a coded one also matches a partner of its kind and name that has no code."""
    if code(partner) is None:
        return [("name", partner.kind, partner.name)]
    return [code(partner), ("uncoded", partner.kind, partner.name)]


def insert(model, objects):
    """Bulk insert, the fields' values as the backup has them: bulk_create stamps auto_now
    fields with the time of the restore, set back here."""
    stamped = [
        field.attname
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    values = [[getattr(obj, name) for name in stamped] for obj in objects]
    model._base_manager.bulk_create(objects)
    if stamped and objects:
        for obj, row in zip(objects, values, strict=True):
            for name, value in zip(stamped, row, strict=True):
                setattr(obj, name, value)
        model._base_manager.bulk_update(objects, stamped)


def high_water(model):
    """The highest id `model`'s table ever handed out, as far as can be seen: its rows, the
    records of its deleted objects, its sequence."""
    top = model._base_manager.aggregate(top=Max("pk"))["top"] or 0
    records = records_of().get(model)
    if records is not None:
        top = max(top, records._default_manager.aggregate(top=Max("id"))["top"] or 0)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT COALESCE(pg_sequence_last_value(%s::regclass), 0)", [sequence(model)]
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s",
                [model._meta.db_table],
            )
        else:
            return top
        return max(top, cursor.fetchone()[0])


def sequence(model):
    """PostgreSQL: the name of the sequence of `model`'s ids."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)",
            [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column],
        )
        return cursor.fetchone()[0]


def raise_sequence(model, top):
    """Ids kept up to `top`: the sequence must not hand them out (PostgreSQL; SQLite's
    AUTOINCREMENT follows the ids inserted)."""
    if connection.vendor != "postgresql":
        return
    name = sequence(model)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(%s::regclass, %s) "
            "WHERE COALESCE(pg_sequence_last_value(%s::regclass), 0) < %s",
            [name, top, name, top],
        )


def take_ids(model, count):
    """`count` new ids of `model`, ascending, that its table never held."""
    top = high_water(model)
    if connection.vendor != "postgresql":
        return list(range(top + 1, top + count + 1))
    # From the sequence itself: a write of another session meanwhile cannot take them.
    raise_sequence(model, top)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence(model), count]
        )
        return sorted(row[0] for row in cursor.fetchall())
