"""import_convention into a portal that holds other conventions, after a deletion, or in place
of the convention (--replace): ids remapped, users and partners matched, history kept."""

import io
import json
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from actions.history import SheetHistory
from actions.models import ActionSheet, Indicator
from bilans.models import SheetReview, YearBilan
from bilans.services import reopen_review
from committees.models import AgendaItem, Decision, Meeting
from conventions.models import Convention, Membership, Partner, StrategicObjective
from documents.models import Document
from evaluations import services as evaluations
from evaluations.models import ObjectiveEvaluation
from funding.reports import funding_table
from operations.backup import backup_models, delete_convention, export_convention
from portal.dashboard import build_dashboard

from .factories import MembershipFactory, UserFactory
from .helpers import once, sheet_edit_payload
from .test_backup import bilans_told

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "thore-montagne-noire-2023-2025"
SHARED = {"conventions.Partner", "auth.User"}
# The link tables of the many-to-many fields: not in a backup's list of models, restored too.
LINKS = [
    *(ActionSheet._meta.get_field(name) for name in ["domains", "pilots", "partners", "communes"]),
    *(StrategicObjective._meta.get_field(name) for name in ["challenges", "domains"]),
    *(AgendaItem._meta.get_field(name) for name in ["objectives", "sheets"]),
    Decision._meta.get_field("sheets"),
    ObjectiveEvaluation._meta.get_field("indicators"),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The documents' files (seed_demo writes two) under a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def counts():
    """{model label: rows} for every table a backup writes to."""
    models = [*backup_models(), *(field.remote_field.through for field in LINKS)]
    return {model._meta.label: model._default_manager.count() for model in models}


def figures(convention):
    dashboard = build_dashboard(convention)
    table = funding_table(convention)
    return (
        dashboard.sheet_count,
        dashboard.average_progress,
        [(v, n) for v, _l, n in dashboard.status_counts],
        table.per_year,
        table.total,
        [(r.line.label, r.paid) for r in table.rows],
    )


def histories(convention):
    """Every sheet's history as its page tells it, and the number of its records."""
    return [
        (
            sheet.number,
            sheet.history.count(),
            [(e.when, e.author, e.changes) for e in SheetHistory(sheet).entries()],
        )
        for sheet in convention.action_sheets.order_by("number")
    ]


def without_date(text):
    data = json.loads(text)
    data.pop("exported_at")
    return data


def restore(backup, *args, **options):
    call_command("import_convention", str(backup), *args, stdout=io.StringIO(), **options)


@pytest.fixture
def lived_in(client, seeded, coordinator, tmp_path):
    """The seed convention after some use (demo accounts and progress, an edit that changes
    the pilots, a payment), and its backup file."""
    call_command("seed_demo", "--force", stdout=io.StringIO())
    client.force_login(coordinator)
    sheet = seeded.action_sheets.get(number=4)
    client.post(
        reverse("actions:edit", args=[SLUG, 4]),
        sheet_edit_payload(sheet, status="in_progress", progress=45, pilots=[coordinator.pk]),
    )
    client.post(
        reverse("funding:payment_add", args=[SLUG]),
        {
            "line": seeded.funding_lines.first().pk,
            "year": 2024,
            "amount": "1000",
            "paid_on": "2024-03-15",
            "kind": "advance",
            "submission": once(),
        },
    )
    client.logout()
    # The bilans lived in too: a validated review reopened; an indicator an answer rested on
    # deleted (the answer's records still name it).
    review = SheetReview.objects.get(sheet__convention=seeded, sheet__number=13, year=2024)
    assert reopen_review(review, review.version, coordinator)
    Indicator.objects.get(sheet=seeded.action_sheets.get(number=13)).delete()
    backup = tmp_path / "ctg.json"
    call_command("export_convention", SLUG, str(backup))
    return Convention.objects.get(slug=SLUG), backup


def test_restore_beside_another_convention(client, lived_in):
    seeded, backup = lived_in
    before = counts()
    told = histories(seeded)
    seen = figures(seeded)
    bilans = bilans_told(seeded)
    assert "?" in str(bilans[3])  # a record of an answer names the deleted indicator
    # The seed convention becomes another one: every id of the backup is then taken.
    Convention.objects.filter(pk=seeded.pk).update(slug="autre-ctg", title="Une autre CTG")
    other = Convention.objects.get(slug="autre-ctg")
    other_backup = without_date(export_convention(other))

    restore(backup)

    restored = Convention.objects.get(slug=SLUG)
    assert restored.pk != other.pk
    assert set(restored.action_sheets.values_list("pk", flat=True)).isdisjoint(
        other.action_sheets.values_list("pk", flat=True)
    )
    after = counts()
    # Shared objects found, not created; the convention's own objects (history and link rows
    # included) created once more.
    assert after == {
        label: count if label in SHARED else 2 * count for label, count in before.items()
    }
    assert without_date(export_convention(other)) == other_backup
    assert figures(restored) == seen
    assert seen[0] == 16 and seen[3] == [241801] * 3
    assert restored.funding_lines.count() == 9
    assert histories(restored) == told
    assert bilans_told(restored) == bilans == bilans_told(other)
    assert any(
        c.label == "Pilotes" for _n, _c, entries in told for _w, _a, cs in entries for c in cs
    )
    # The restored convention works: its coordinator (the same user) edits and adds a note.
    coordinator = restored.memberships.get(role=Membership.Role.COORDINATOR).user
    assert coordinator == other.memberships.get(role=Membership.Role.COORDINATOR).user
    client.force_login(coordinator)
    sheet = restored.action_sheets.get(number=4)
    response = client.post(
        reverse("actions:edit", args=[SLUG, 4]), sheet_edit_payload(sheet, progress=50)
    )
    assert response.status_code == 302
    sheet.refresh_from_db()
    response = client.post(
        reverse("actions:note_add", args=[SLUG, 4]),
        {
            "text": "Après restauration",
            "written_on": "2025-01-10",
            "version": sheet.version,
            "submission": once(),
        },
    )
    assert response.status_code == 302
    assert sheet.notes.filter(text="Après restauration").exists()
    assert other.action_sheets.get(number=4).progress == 45


def test_restore_into_another_portal(lived_in):
    """A portal that never held it, with conventions, partners and users of its own whose ids
    are the backup's: everything is remapped, and partners are found by their keys."""
    seeded, backup = lived_in
    seen = figures(seeded)
    told = histories(seeded)
    bilans = bilans_told(seeded)
    backed_up = json.loads(backup.read_text(encoding="utf-8"))["objects"]
    call_command("flush", interactive=False, verbosity=0)
    # Users first: every user id of the backup is someone else's here.
    User = get_user_model()
    strangers = [
        UserFactory(username=f"autre{n}", is_staff=True)
        for n in range(max(o["pk"] for o in backed_up if o["model"] == "auth.user"))
    ]
    call_command("seed_ctg", stdout=io.StringIO())
    Convention.objects.filter(slug=SLUG).update(slug="autre-ctg")
    other = Convention.objects.get(slug="autre-ctg")
    MembershipFactory(user=strangers[0], convention=other)
    # This portal calls the EPCI otherwise: found by its SIREN, left as it is.
    Partner.objects.filter(siren="248100745").update(name="CC Thoré Montagne Noire")
    other_backup = without_date(export_convention(other))
    partners = Partner.objects.count()

    restore(backup)

    restored = Convention.objects.get(slug=SLUG)
    assert figures(restored) == seen
    assert histories(restored) == told
    assert bilans_told(restored) == bilans
    assert without_date(export_convention(other)) == other_backup
    assert Partner.objects.count() == partners
    epci = Partner.objects.get(siren="248100745")
    assert epci.name == "CC Thoré Montagne Noire"
    assert restored.epci == epci  # the territory, found by its SIREN
    assert restored.funding_lines.filter(funder__name="CAF du Tarn").exists()  # kind and name
    # The backup's users are created, as it has them, with ids of their own.
    coordinator = restored.memberships.get(role=Membership.Role.COORDINATOR).user
    assert coordinator.username == "coordination" and not coordinator.is_staff
    assert coordinator.pk not in {u.pk for u in strangers}
    for item in (o for o in backed_up if o["model"] == "auth.user"):
        user = User.objects.get(username=item["fields"]["username"])
        flags = {k: item["fields"][k] for k in ("is_staff", "is_superuser", "password")}
        assert {k: getattr(user, k) for k in flags} == flags
    assert set(other.memberships.values_list("user", flat=True)) == {strangers[0].pk}


def test_restore_after_deletion(lived_in):
    seeded, backup = lived_in
    first = backup.read_text(encoding="utf-8")
    before = counts()
    told = histories(seeded)
    seen = figures(seeded)
    bilans = bilans_told(seeded)
    pk = seeded.pk

    # As a coordinator deleting it by mistake in the admin would (convention.delete() alone
    # refuses: its sheets and lines refer to its objectives and structures, protected).
    delete_convention(seeded)
    survived = counts()
    assert survived["auth.User"] == before["auth.User"]
    assert survived["conventions.Partner"] == before["conventions.Partner"]
    # simple-history keeps the records, and adds one of each deletion.
    assert survived["actions.HistoricalActionSheet"] == before["actions.HistoricalActionSheet"] + 16
    # A user deleted since is created again, as the backup has it; one changed since is kept
    # as the portal has it.
    User = get_user_model()
    elected = User.objects.get(username="elu")
    password = elected.password
    elected.delete()
    User.objects.filter(username="caf").update(email="nouveau@caf.fr", is_staff=True)

    restore(backup)

    restored = Convention.objects.get(slug=SLUG)
    # The convention comes back as it was: its ids, its history (no record twice, the
    # deletion's records dropped), its figures.
    assert restored.pk == pk
    assert counts() == before
    expected = without_date(first)
    for item in expected["objects"]:
        if item["model"] == "auth.user" and item["fields"]["username"] == "caf":
            item["fields"].update(email="nouveau@caf.fr", is_staff=True)
    assert without_date(export_convention(restored)) == expected
    assert figures(restored) == seen
    assert histories(restored) == told
    assert bilans_told(restored) == bilans
    assert restored.action_sheets.count() == 16
    elected = User.objects.get(username="elu")
    assert elected.password == password and not elected.is_staff
    assert restored.memberships.filter(user=elected, role=Membership.Role.ELECTED).exists()
    caf = User.objects.get(username="caf")
    assert (caf.email, caf.is_staff) == ("nouveau@caf.fr", True)
    # New rows do not collide with the ids restored (the sequences are past them).
    sheet = restored.action_sheets.get(number=1)
    step = sheet.steps.create(title="Après restauration")
    assert step.history.count() == 1
    assert restored.domains.create(name="Nouveau domaine").pk


def test_refused_when_the_convention_exists(lived_in):
    _seeded, backup = lived_in
    before = counts()
    with pytest.raises(CommandError, match="contient déjà la convention"):
        restore(backup)
    assert counts() == before


def test_replace_after_confirmation(client, lived_in, coordinator):
    seeded, backup = lived_in
    at_backup = counts()
    told = histories(seeded)
    seen = figures(seeded)
    bilans = bilans_told(seeded)
    # Changed after the backup: replacing brings the convention back to it.
    client.force_login(coordinator)
    sheet = seeded.action_sheets.get(number=4)
    client.post(reverse("actions:edit", args=[SLUG, 4]), sheet_edit_payload(sheet, progress=80))
    review = SheetReview.objects.filter(sheet__convention=seeded, year=2023).first()
    assert reopen_review(review, review.version, coordinator)
    YearBilan.objects.filter(convention=seeded).delete()
    evaluations.save_conclusion(seeded, "Réécrite après la sauvegarde", "", 2, coordinator)
    assert bilans_told(seeded) != bilans
    changed = counts()
    assert changed != at_backup

    with (
        mock.patch("builtins.input", return_value="no") as asked,
        pytest.raises(CommandError, match="annulée"),
    ):
        restore(backup, "--replace")
    assert SLUG in asked.call_args.args[0]
    assert counts() == changed
    assert seeded.action_sheets.get(number=4).progress == 80

    with mock.patch("builtins.input", return_value="yes") as asked:
        restore(backup, "--replace")
    assert asked.call_count == 1
    restored = Convention.objects.get(slug=SLUG)
    assert restored.action_sheets.get(number=4).progress == 45
    assert counts() == at_backup
    assert figures(restored) == seen
    assert histories(restored) == told
    assert bilans_told(restored) == bilans


def test_replace_without_input_twice(lived_in):
    _seeded, backup = lived_in
    first = backup.read_text(encoding="utf-8")
    with mock.patch("builtins.input", side_effect=AssertionError("asked")):
        restore(backup, "--replace", interactive=False)
        once_counts = counts()
        restore(backup, "--replace", "--no-input")
    assert counts() == once_counts
    restored = Convention.objects.get(slug=SLUG)
    assert without_date(export_convention(restored)) == without_date(first)


def test_replace_of_a_copy_is_idempotent(lived_in):
    """A convention restored beside its original (ids remapped), replaced twice: the
    replaced copy's history goes with it."""
    seeded, backup = lived_in
    Convention.objects.filter(pk=seeded.pk).update(slug="autre-ctg")
    restore(backup)
    copied = counts()
    restore(backup, "--replace", interactive=False)
    assert counts() == copied
    restore(backup, "--replace", interactive=False)
    assert counts() == copied
    restored = Convention.objects.get(slug=SLUG)
    assert histories(restored) == histories(Convention.objects.get(slug="autre-ctg"))
    assert bilans_told(restored) == bilans_told(Convention.objects.get(slug="autre-ctg"))


def test_a_failure_writes_nothing(lived_in, tmp_path):
    seeded, backup = lived_in
    data = json.loads(backup.read_text(encoding="utf-8"))
    # The last object is refused by the database (a payment must be positive).
    payment = next(o for o in reversed(data["objects"]) if o["model"] == "funding.payment")
    payment["fields"]["amount"] = "-5.00"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    before = counts()
    exported = without_date(export_convention(seeded))

    with pytest.raises(CommandError, match="a refusé la sauvegarde"):
        restore(broken, "--replace", interactive=False)
    assert counts() == before
    assert without_date(export_convention(Convention.objects.get(slug=SLUG))) == exported

    delete_convention(Convention.objects.get(slug=SLUG))
    after_deletion = counts()
    with pytest.raises(CommandError, match="a refusé la sauvegarde"):
        restore(broken)
    assert counts() == after_deletion


def test_a_backup_holds_only_a_conventions_objects(lived_in, tmp_path):
    _seeded, backup = lived_in
    data = json.loads(backup.read_text(encoding="utf-8"))
    data["objects"].append({"model": "auth.group", "pk": 1, "fields": {"name": "admins"}})
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(
        CommandError, match=r"aucune sauvegarde de convention ne contient : auth\.group"
    ):
        restore(tampered, "--replace", interactive=False)


def test_a_convention_is_deleted_whole(seeded):
    """Its objectives and structures go with its sheets and lines (RESTRICT, not PROTECT)."""
    from funding.models import FundingLine

    seeded.delete()
    assert not ActionSheet.objects.exists()
    assert not FundingLine.objects.exists()
    assert not StrategicObjective.objects.exists()


# --- meetings, decisions, documents and their files --------------------------------------------


def stored(media):
    """{stored name: content} of the files under MEDIA_ROOT."""
    return {
        path.relative_to(media).as_posix(): path.read_bytes()
        for path in media.rglob("*")
        if path.is_file()
    }


def steering(convention):
    """Meetings, decisions and documents as the pages read them, without ids."""
    return (
        [
            (
                m.label,
                m.title,
                sorted(
                    (
                        a.user.username if a.user else "",
                        a.partner.name if a.partner else "",
                        a.status,
                    )
                    for a in m.attendances.all()
                ),
                [
                    (
                        i.title,
                        sorted(i.objectives.values_list("title", flat=True)),
                        sorted(i.sheets.values_list("number", flat=True)),
                    )
                    for i in m.agenda_items.all()
                ],
                [
                    (
                        d.text,
                        d.state,
                        d.due_on,
                        d.owner and d.owner.username,
                        d.applied_at,
                        sorted(d.sheets.values_list("number", flat=True)),
                        d.history.count(),
                    )
                    for d in m.decisions.all()
                ],
            )
            for m in Meeting.objects.filter(convention=convention).order_by("starts_at")
        ],
        [
            (
                d.title,
                d.url,
                d.original_name,
                d.size,
                d.sheet and d.sheet.number,
                d.meeting and d.meeting.label,
                d.funding_year,
                d.deleted_at,
                d.history.count(),
            )
            for d in Document.all_objects.filter(convention=convention).order_by("date")
        ],
    )


def contents(convention):
    found = []
    for document in Document.all_objects.filter(convention=convention).exclude(file=""):
        with document.file.storage.open(document.file.name, "rb") as handle:
            found.append(handle.read())
    return sorted(found)


def test_restore_beside_its_original_gives_files_new_names(lived_in, media):
    seeded, backup = lived_in
    seen = steering(seeded)
    files_before = stored(media)
    Convention.objects.filter(pk=seeded.pk).update(slug="autre-ctg")

    restore(backup)

    restored = Convention.objects.get(slug=SLUG)
    other = Convention.objects.get(slug="autre-ctg")
    assert steering(restored) == seen == steering(other)
    names = set(
        Document.all_objects.filter(convention=restored)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    # The original keeps its files; the copy has its own, under new random names of its own
    # convention, with the same content; its records name them too.
    assert names.isdisjoint(files_before) and len(names) == 2
    assert all(name.startswith(f"documents/{restored.pk}/") for name in names)
    assert {k: v for k, v in stored(media).items() if k in files_before} == files_before
    assert contents(restored) == contents(other)
    recorded = set(
        Document.history.filter(convention_id=restored.pk)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    assert recorded == names
    # A decision of the copy names the copy's sheets, and the applied one the COPIL.
    decision = Decision.objects.get(meeting__convention=restored, applied_at__isnull=False)
    assert decision.sheets.get().convention == restored
    record = decision.sheets.get().history.filter(history_change_reason__startswith="décision")
    assert record.get().history_change_reason == "décision du COPIL du 21/11/2024"


def test_replace_removes_the_replaced_files_after_commit(client, lived_in, coordinator, media):
    """Replacing brings the files back to the backup's: one uploaded since is removed once the
    restore is committed; the backup's are kept under their names."""
    seeded, backup = lived_in
    at_backup = stored(media)
    seen = steering(seeded)
    client.force_login(coordinator)
    response = client.post(
        reverse("documents:add", args=[SLUG]),
        {
            "kind": "other",
            "title": "Ajouté après la sauvegarde",
            "date": "2025-02-01",
            "attached_to": "convention",
            "file": SimpleUploadedFile("note.pdf", b"%PDF-1.4\n%%EOF\n"),
            "submission": once(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    added = Document.objects.get(title="Ajouté après la sauvegarde")
    assert added.file.name in stored(media)
    meeting = Meeting.objects.filter(convention=seeded).first()
    meeting_id = meeting.pk
    meeting.delete()

    restore(backup, "--replace", interactive=False)

    restored = Convention.objects.get(slug=SLUG)
    assert steering(restored) == seen
    assert Meeting.objects.filter(pk=meeting_id, convention=restored).exists()
    assert not Document.all_objects.filter(title="Ajouté après la sauvegarde").exists()
    assert stored(media) == at_backup


def test_a_failed_restore_leaves_no_file(lived_in, media, tmp_path):
    seeded, backup = lived_in
    data = json.loads(backup.read_text(encoding="utf-8"))
    payment = next(o for o in reversed(data["objects"]) if o["model"] == "funding.payment")
    payment["fields"]["amount"] = "-5.00"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    Convention.objects.filter(pk=seeded.pk).update(slug="autre-ctg")
    before = stored(media)

    with pytest.raises(CommandError, match="a refusé la sauvegarde"):
        restore(broken)
    assert stored(media) == before
    assert not Convention.objects.filter(slug=SLUG).exists()


@pytest.mark.parametrize(
    "tamper, message",
    [
        (
            lambda files, name: files.update({"../../etc/cron.d/x": "AAAA"}),
            "aucun de ses documents",
        ),
        (
            lambda files, name: files.update({"documents/1/" + "0" * 32: "AAAA"}),
            "aucun de ses documents",
        ),
        (lambda files, name: files.update({name: "pas du base64!"}), "illisible"),
    ],
)
def test_a_backup_with_bad_files_is_refused(lived_in, media, tmp_path, tamper, message):
    _seeded, backup = lived_in
    data = json.loads(backup.read_text(encoding="utf-8"))
    tamper(data["files"], sorted(data["files"])[0])
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data), encoding="utf-8")
    before, files = counts(), stored(media)
    with pytest.raises(CommandError, match=message):
        restore(tampered, "--replace", interactive=False)
    assert counts() == before and stored(media) == files
