"""Editing a fiche action: the form, its formsets, validation, conflicts, history."""

import datetime
import re
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from actions import services
from actions.forms import ActionSheetForm
from actions.models import ActionSheet, Indicator, Step

from .factories import ActionSheetFactory, IndicatorFactory, StepFactory, UserFactory
from .helpers import once, sheet_edit_payload

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"


def edit_url(number=4):
    return reverse("actions:edit", args=[SLUG, number])


@pytest.fixture
def sheet(seeded):
    return seeded.action_sheets.get(number=4)


def post(client, sheet, follow=False, **kwargs):
    return client.post(edit_url(sheet.number), sheet_edit_payload(sheet, **kwargs), follow=follow)


def test_edit_saves_every_field(client, coordinator, sheet, seeded):
    client.force_login(coordinator)
    partner = seeded.signatories.get(name="Albine")
    response = post(
        client,
        sheet,
        title="Harmoniser l’offre périscolaire",
        status="in_progress",
        priority="high",
        progress=30,
        planned_start="2023-02-01",
        planned_end="2025-06-30",
        description="Un diagnostic des accueils.",
        goals="Même qualité partout.",
        target_publics="Enfants de 3 à 11 ans",
        elected_referent="Mme la vice-présidente",
        pilots=[coordinator.pk],
        communes=[partner.pk],
        partners=[partner.pk],
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("actions:detail", args=[SLUG, 4])
    sheet.refresh_from_db()
    assert (sheet.status, sheet.priority, sheet.progress, sheet.version) == (
        "in_progress",
        "high",
        30,
        2,
    )
    assert sheet.planned_end == datetime.date(2025, 6, 30)
    assert list(sheet.pilots.all()) == [coordinator]
    assert list(sheet.communes.all()) == [partner]
    record = sheet.history.order_by("-history_date", "-history_id").first()
    assert record.history_user == coordinator
    # The record holds the links as saved with it (simple-history's many-to-many rows).
    assert [row.user for row in record.pilots.all()] == [coordinator]
    assert [row.partner for row in record.communes.all()] == [partner]
    assert sheet.history.count() == 2  # created, then this save: one record for sheet and links


def test_history_reads_as_sentences(client, coordinator, sheet):
    coordinator.first_name, coordinator.last_name = "Camille", "Martin"
    coordinator.save()
    client.force_login(coordinator)
    # The clock stands still, an hour on (after the sheet's creation, within the session): the
    # minute never turns between the save and the assertions.
    moment = timezone.localtime().replace(minute=5, second=0) + datetime.timedelta(hours=1)
    with time_machine.travel(moment, tick=False):
        post(client, sheet, status="in_progress", progress=30)
        response = client.get(reverse("actions:detail", args=[SLUG, 4]))
    html = response.content.decode()
    entry = response.context["history"][0]
    change = {c.label: (c.old, c.new) for c in entry.changes}
    assert change["Statut"] == ("à lancer", "en cours")
    assert change["Avancement (%)"] == ("0\u00a0%", "30\u00a0%")
    assert entry.author == "Camille Martin"
    assert entry.moment == f"{moment:%d/%m/%Y} à {moment.hour} h 05"
    assert "<strong>Statut</strong>\u00a0: à lancer → en cours" in html.replace("&nbsp;", "\u00a0")
    assert f"par Camille Martin, le {moment:%d/%m/%Y} à {moment.hour} h 05" in html


def test_admin_edits_appear_in_the_history(client, superuser, sheet):
    client.force_login(superuser)
    sheet.status = "blocked"
    sheet._history_user = superuser
    sheet.save()
    entries = client.get(reverse("actions:detail", args=[SLUG, 4])).context["history"]
    assert entries[0].changes[0].new == "bloquée"


def test_stale_save_merges_and_nothing_is_lost(client, coordinator, pilot, sheet):
    # Both open the form at version 1.
    client.force_login(pilot)
    pilot_payload = sheet_edit_payload(sheet, progress=10, goals="Le texte du pilote")
    other = client.__class__()
    other.force_login(coordinator)
    assert other.post(edit_url(), sheet_edit_payload(sheet, status="paused")).status_code == 302

    # Different fields: the pilot's save merges with the coordinator's (tests/test_sheet_merge).
    assert client.post(edit_url(), pilot_payload).status_code == 302
    sheet.refresh_from_db()
    assert (sheet.status, sheet.goals, sheet.progress, sheet.version) == (
        "paused",
        "Le texte du pilote",
        10,
        3,
    )
    # Created, the pilot named (by the fixture), the coordinator's save, the pilot's save.
    assert sheet.history.count() == 4


def test_stale_save_of_one_field_is_refused_and_input_kept(client, coordinator, pilot, sheet):
    client.force_login(pilot)
    pilot_payload = sheet_edit_payload(sheet, progress=10, goals="Le texte du pilote")
    other = client.__class__()
    other.force_login(coordinator)
    payload = sheet_edit_payload(sheet, status="paused", goals="Le texte de la coordination")
    assert other.post(edit_url(), payload).status_code == 302

    response = client.post(edit_url(), pilot_payload)
    assert response.status_code == 409
    html = response.content.decode().replace("&nbsp;", "\u00a0")
    assert "Cette fiche a été modifiée par quelqu’un d’autre" in html
    assert "Statut\u00a0: à lancer → en pause" in html  # everything saved meanwhile
    assert coordinator.get_full_name() in html
    assert "Le texte du pilote" in html and "Le texte de la coordination" in html
    sheet.refresh_from_db()
    assert (sheet.status, sheet.goals, sheet.progress) == (
        "paused",
        "Le texte de la coordination",
        0,
    )
    form = response.context["form"]
    assert form["version"].value() == "2"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"progress": 150}, "progress", "inférieure ou égale à 100"),
        ({"progress": -1}, "progress", "supérieure ou égale à 0"),
        ({"progress": "beaucoup"}, "progress", "Saisissez un nombre entier"),
        (
            {"planned_start": "2024-06-01", "planned_end": "2024-01-01"},
            "planned_end",
            "La fin prévue ne peut pas précéder le début prévu",
        ),
        ({"planned_end": "31/02/2024"}, "planned_end", "Saisissez une date valide"),
        ({"title": ""}, "title", "Ce champ est obligatoire"),
        ({"objective": 999999}, "objective", "Sélectionnez un choix valide"),
    ],
)
def test_validation_errors_beside_the_field_input_kept(
    client, coordinator, sheet, changes, field, message
):
    client.force_login(coordinator)
    response = post(client, sheet, goals="Ma saisie à garder", **changes)
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert "Ma saisie à garder" in html
    assert "La fiche n’a pas été enregistrée" in html
    sheet.refresh_from_db()
    assert sheet.version == 1 and sheet.goals == ""


def test_objective_of_another_convention_refused(client, coordinator, sheet, other_convention):
    from .factories import ObjectiveFactory

    foreign = ObjectiveFactory(convention=other_convention)
    client.force_login(coordinator)
    response = post(client, sheet, objective=foreign.pk)
    assert "objective" in response.context["form"].errors
    sheet.refresh_from_db()
    assert sheet.objective.convention_id == sheet.convention_id


def test_completed_brings_progress_to_100(client, coordinator, sheet):
    client.force_login(coordinator)
    response = post(client, sheet, status="done", progress=40)
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert (sheet.status, sheet.progress) == ("done", 100)
    html = client.get(response["Location"]).content.decode()
    assert "avancement a été porté à 100" in html


def test_steps_and_indicators_formsets(client, coordinator, sheet):
    kept = StepFactory(sheet=sheet, title="Réunion de lancement", due_on=datetime.date(2023, 3, 1))
    removed = StepFactory(sheet=sheet, title="À supprimer")
    indicator = IndicatorFactory(sheet=sheet, label="Familles touchées")
    client.force_login(coordinator)
    steps = [
        {
            "id": kept.pk,
            "title": "Réunion de lancement (COPIL)",
            "due_on": "2023-03-01",
            "done_on": "2023-03-02",
        },
        {
            "id": removed.pk,
            "title": removed.title,
            "due_on": "2024-06-30",
            "done_on": "",
            "DELETE": "on",
        },
        {"title": "Bilan annuel", "due_on": "2024-12-15", "done_on": ""},
    ]
    indicators = [
        {
            "id": indicator.pk,
            "label": "Familles touchées",
            "unit": "familles",
            "kind": "result",
            "baseline": "10",
            "target": "60",
        },
        {
            "label": "Réunions tenues",
            "unit": "réunions",
            "kind": "means",
            "baseline": "",
            "target": "6",
        },
    ]
    response = post(client, sheet, steps=steps, indicators=indicators)
    assert response.status_code == 302
    assert list(sheet.steps.values_list("title", "done_on")) == [
        ("Réunion de lancement (COPIL)", datetime.date(2023, 3, 2)),
        ("Bilan annuel", None),
    ]
    assert not Step.objects.filter(pk=removed.pk).exists()
    assert Indicator.objects.get(pk=indicator.pk).target == 60
    assert sheet.indicators.count() == 2
    history = client.get(reverse("actions:detail", args=[SLUG, 4])).context["history"]
    texts = [c.text.replace("\u00a0", " ") for e in history for c in e.changes]
    assert "Étape « Bilan annuel » ajoutée" in texts
    assert "Étape « À supprimer » supprimée" in texts


def test_step_due_outside_the_period_warns(client, coordinator, sheet):
    client.force_login(coordinator)
    steps = [{"title": "Évaluation finale", "due_on": "2026-03-31", "done_on": ""}]
    response = post(client, sheet, steps=steps)
    assert response.status_code == 302  # a warning, not an error
    html = client.get(response["Location"]).content.decode()
    assert "31/03/2026, hors de la période de la convention (2023–2025)" in html


def test_bad_step_input_answers_the_form_again(client, coordinator, sheet):
    client.force_login(coordinator)
    steps = [{"title": "", "due_on": "2024-13-45", "done_on": ""}]
    response = post(client, sheet, steps=steps, goals="Gardé")
    assert response.status_code == 400
    assert response.context["steps"].total_error_count() >= 1
    assert "Gardé" in response.content.decode()


def test_create_a_sheet(client, coordinator, seeded):
    client.force_login(coordinator)
    url = reverse("actions:create", args=[SLUG])
    response = client.get(url)
    assert response.context["form"]["number"].value() == 17
    objective = seeded.objectives.get(number=7)
    data = {
        "number": 17,
        "title": "Créer un livret d’accueil",
        "objective": objective.pk,
        "status": "todo",
        "priority": "medium",
        "progress": 0,
        "steps-TOTAL_FORMS": 1,
        "steps-INITIAL_FORMS": 0,
        "steps-0-title": "Rédaction",
        "steps-0-due_on": "2025-03-01",
        "indicators-TOTAL_FORMS": 0,
        "indicators-INITIAL_FORMS": 0,
    }
    response = client.post(url, data)
    assert response.status_code == 302
    sheet = seeded.action_sheets.get(number=17)
    assert sheet.steps.get().title == "Rédaction"
    # The same number again is refused in French, input kept.
    response = client.post(url, data)
    assert response.status_code == 400
    assert "a déjà une fiche action de ce numéro" in response.content.decode()


def test_archive_and_restore(client, coordinator, sheet):
    client.force_login(coordinator)
    url = reverse("actions:archive", args=[SLUG, 4])
    assert client.post(url).status_code == 400  # no explicit action: refused
    assert client.post(url, {"action": "archive"}).status_code == 302
    sheet.refresh_from_db()
    assert sheet.archived_at is not None
    assert ActionSheet.objects.filter(pk=sheet.pk).exists()  # nothing hard-deleted
    assert client.get(edit_url()).status_code == 403  # read-only while archived
    detail = client.get(reverse("actions:detail", args=[SLUG, 4]))
    assert "archivée" in detail.content.decode()
    texts = [c.text.replace("\u00a0", " ") for e in detail.context["history"] for c in e.changes]
    assert "Fiche archivée" in texts
    # Sent twice (a double click, a reload): archived once, not restored by the second post.
    response = client.post(url, {"action": "archive"}, follow=True)
    assert "La fiche 4 était déjà archivée." in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.archived_at is not None
    assert ActionSheet.history.filter(id=sheet.pk, archived_at__isnull=False).count() == 1
    assert client.post(url, {"action": "restore"}).status_code == 302
    sheet.refresh_from_db()
    assert sheet.archived_at is None


def test_pilots_offered_are_members_of_the_convention(client, coordinator, sheet, outsider):
    UserFactory(username="nobody")
    client.force_login(coordinator)
    form = client.get(edit_url()).context["form"]
    usernames = {u.username for u in form.fields["pilots"].queryset}
    assert "coordination" in usernames
    assert "etranger" not in usernames and "nobody" not in usernames
    response = post(client, sheet, pilots=[outsider.pk])
    assert "pilots" in response.context["form"].errors


def history_texts(client, number=4):
    entries = client.get(reverse("actions:detail", args=[SLUG, number])).context["history"]
    return [
        (c.text or f"{c.label} : {c.old} → {c.new}").replace("\u00a0", " ")
        for e in entries
        for c in e.changes
    ]


def test_history_tells_links_and_texts(client, coordinator, sheet, seeded):
    coordinator.first_name, coordinator.last_name = "Camille", "Coordinatrice"
    coordinator.save()
    client.force_login(coordinator)
    domains = list(sheet.domains.all())
    added = seeded.domains.exclude(pk__in=[d.pk for d in domains]).first()
    commune = seeded.signatories.get(name="Albine")
    response = post(
        client,
        sheet,
        pilots=[coordinator.pk],
        domains=[d.pk for d in domains] + [added.pk],
        communes=[commune.pk],
        description="Un texte neuf.",
    )
    assert response.status_code == 302
    assert sheet.history.count() == 2  # one record for the sheet and its links
    entries = client.get(reverse("actions:detail", args=[SLUG, 4])).context["history"]
    changes = {c.label: c for c in entries[0].changes}
    assert (changes["Pilotes"].old, changes["Pilotes"].new) == ("—", "Camille Coordinatrice")
    assert (changes["Communes concernées"].old, changes["Communes concernées"].new) == (
        "—",
        "Albine",
    )
    # Domains in the convention's order, as the sheet lists them.
    ordered = [d.name for d in seeded.domains.filter(pk__in=[d.pk for d in [*domains, added]])]
    assert changes["Domaines"].new == ", ".join(ordered)
    assert changes["Description"].text == "Description\u00a0: texte modifié"
    # Fields in the model's order: the domains come right after the objective.
    labels = [c.label for c in entries[0].changes]
    assert labels.index("Domaines") < labels.index("Description") < labels.index("Pilotes")
    # Removing a pilot is told too.
    sheet.refresh_from_db()
    assert post(client, sheet, pilots=[]).status_code == 302
    assert "Pilotes : Camille Coordinatrice → —" in history_texts(client)


def test_links_changed_from_the_other_side_are_recorded(client, coordinator, elected, sheet):
    elected.first_name, elected.last_name = "Élise", "Élue"
    elected.save()
    elected.piloted_sheets.add(sheet)  # simple-history alone fails here (its issue #1048)
    assert sheet.history.count() == 2
    client.force_login(coordinator)
    assert "Pilotes : — → Élise Élue" in history_texts(client)
    elected.piloted_sheets.clear()
    assert sheet.history.count() == 3
    assert "Pilotes : Élise Élue → —" in history_texts(client)


def test_conflict_shows_the_links_changed_meanwhile(client, coordinator, pilot, sheet, seeded):
    client.force_login(pilot)
    pilot_payload = sheet_edit_payload(sheet, progress=10)
    other = client.__class__()
    other.force_login(coordinator)
    commune = seeded.signatories.get(name="Albine")
    payload = sheet_edit_payload(sheet, communes=[commune.pk], progress=20)
    assert other.post(edit_url(), payload).status_code == 302
    response = client.post(edit_url(), pilot_payload)
    assert response.status_code == 409
    html = response.content.decode().replace("&nbsp;", "\u00a0")
    assert "Communes concernées\u00a0: — → Albine" in html
    # The commune added meanwhile is kept in the merged form.
    assert response.context["form"]["communes"].value() == [str(commune.pk)]


def test_texts_dates_and_archiving_read_as_before(client, coordinator, sheet):
    client.force_login(coordinator)
    post(client, sheet, goals="Nouveaux objectifs", planned_end="2025-06-30", priority="high")
    texts = history_texts(client)
    assert "Objectifs opérationnels : texte modifié" in texts
    assert "Fin prévue : — → 30/06/2025" in texts
    assert "Priorité : moyenne → haute" in texts
    client.post(reverse("actions:archive", args=[SLUG, 4]), {"action": "archive"})
    client.post(reverse("actions:archive", args=[SLUG, 4]), {"action": "restore"})
    texts = history_texts(client)
    assert texts.index("Fiche restaurée") < texts.index("Fiche archivée")  # newest first
    assert texts[-1] == "Fiche créée"


def test_domain_of_another_convention_is_refused_everywhere(sheet, other_convention):
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from .factories import DomainFactory

    foreign = DomainFactory(convention=other_convention)
    with pytest.raises(ValidationError), transaction.atomic():
        sheet.domains.add(foreign)
    with pytest.raises(ValidationError), transaction.atomic():
        foreign.action_sheets.add(sheet)
    assert not sheet.domains.filter(pk=foreign.pk).exists()


# Les erreurs dites une fois, sur le champ qu’elles concernent ; la règle des 100 % dite quand
# elle s’applique ; un pilote qui se retire confirme.

CLASH = "Cette convention a déjà une fiche action de ce numéro."


def page_text(response):
    return response.content.decode().replace("\u00a0", " ")


def error_summary(html):
    """The error summary above the form (templates/includes/error_summary.html)."""
    start = html.rindex("<div", 0, html.index('id="error-summary"'))
    return html[start : html.index("</div>", start)]


def new_sheet_data(seeded, number):
    return {
        "number": number,
        "title": "Créer un livret d’accueil",
        "objective": seeded.objectives.get(number=7).pk,
        "status": "todo",
        "priority": "medium",
        "progress": 0,
        "steps-TOTAL_FORMS": 0,
        "steps-INITIAL_FORMS": 0,
        "indicators-TOTAL_FORMS": 0,
        "indicators-INITIAL_FORMS": 0,
    }


def input_tag(html, name):
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)


def test_numero_deja_pris_signale_une_fois_sur_le_champ_numero(client, coordinator, seeded):
    client.force_login(coordinator)
    response = client.post(reverse("actions:create", args=[SLUG]), new_sheet_data(seeded, 4))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["number"] == [CLASH]
    assert not form.non_field_errors()
    html = page_text(response)
    # Dans le récapitulatif, lien vers le champ, et sous le champ : pas une troisième fois.
    assert html.count(CLASH) == 2
    summary = error_summary(html)
    assert 'role="alert"' in summary
    assert "La fiche n’a pas été enregistrée. À corriger :" in summary
    assert f'<a class="alert-link" href="#id_number">Numéro : {CLASH}</a>' in summary
    assert "is-invalid" in input_tag(html, "number")
    assert "alert-block" not in html  # plus de boîte des erreurs du formulaire en double
    assert "Créer un livret d’accueil" in html  # la saisie est gardée


def test_numero_pris_entre_temps_signale_sur_le_champ_numero(client, coordinator, seeded):
    """Deux créations du même numéro à la fois : la base refuse la seconde (save_or_clash)."""
    client.force_login(coordinator)
    ActionSheetFactory(convention=seeded, objective=seeded.objectives.first(), number=18)
    with mock.patch.object(ActionSheetForm, "validate_unique"):  # le contrôle est passé avant
        response = client.post(reverse("actions:create", args=[SLUG]), new_sheet_data(seeded, 18))
    assert response.status_code == 400
    assert response.context["form"].errors["number"] == [CLASH]
    html = page_text(response)
    assert html.count(CLASH) == 2
    assert "is-invalid" in input_tag(html, "number")


def test_erreur_du_formulaire_dite_une_seule_fois(client, coordinator, sheet):
    client.force_login(coordinator)
    busy = "D’autres personnes enregistrent cette fiche en ce moment : enregistrez à nouveau."
    with mock.patch(
        "actions.services.save_sheet_merging", side_effect=services.StaleSheet(sheet, [])
    ):
        response = post(client, sheet, goals="Ma saisie à garder")
    assert response.status_code == 400
    html = page_text(response)
    assert html.count(busy) == 1
    assert busy in error_summary(html)
    assert html.count('class="alert alert-danger"') == 1
    assert "Ma saisie à garder" in html


def test_erreurs_des_etapes_dans_le_recapitulatif_avec_lien(client, coordinator, sheet):
    client.force_login(coordinator)
    steps = [{"title": "", "due_on": "2024-06-30", "done_on": ""}]
    response = post(client, sheet, steps=steps, title="")
    assert response.status_code == 400
    summary = error_summary(page_text(response))
    assert '<a class="alert-link" href="#id_title">Titre : Ce champ est obligatoire.</a>' in summary
    assert (
        '<a class="alert-link" href="#id_steps-0-title">'
        "Nouvelle étape — Titre : Ce champ est obligatoire.</a>" in summary
    )


def test_fiche_deja_realisee_enregistree_sans_message_des_100(client, coordinator, sheet):
    sheet.status, sheet.progress = "done", 100
    sheet.save()
    client.force_login(coordinator)
    response = post(client, sheet, goals="Bilan fait", follow=True)
    html = page_text(response)
    assert "Fiche 4 enregistrée." in html
    assert "avancement a été porté à 100" not in html


def note(client, sheet, **fields):
    data = {
        "text": "Point d’étape",
        "written_on": "2024-03-12",
        "status": "",
        "progress": "",
        "version": sheet.version,
        "submission": once(),
        **fields,
    }
    return client.post(reverse("actions:note_add", args=[SLUG, sheet.number]), data, follow=True)


def test_note_qui_realise_la_fiche_a_50_le_dit(client, coordinator, sheet):
    client.force_login(coordinator)
    html = page_text(note(client, sheet, status="done", progress="50"))
    assert "Note ajoutée." in html
    assert "Une fiche réalisée est à 100 % : son avancement a été porté à 100 %." in html
    sheet.refresh_from_db()
    assert (sheet.status, sheet.progress) == ("done", 100)
    # Une note de plus sur la fiche réalisée, sans changer l’avancement : rien à dire.
    html = page_text(note(client, sheet, text="Bilan"))
    assert "Note ajoutée." in html
    assert "avancement a été porté à 100" not in html
    # Réalisée en disant 100 % soi-même : rien à dire non plus.
    other = ActionSheet.objects.get(convention=sheet.convention, number=5)
    assert "avancement a été porté à 100" not in page_text(
        note(client, other, status="done", progress="100")
    )


RETRAIT = "Vous vous retirez des pilotes de cette fiche : vous ne pourrez plus la modifier"
CONFIRMATION = "Je confirme me retirer des pilotes de cette fiche (je ne pourrai plus la modifier)"


def test_pilote_qui_se_retire_doit_confirmer(client, pilot, coordinator, sheet):
    sheet.pilots.add(coordinator)
    client.force_login(pilot)
    response = post(client, sheet, pilots=[coordinator.pk], goals="Passer la main")
    assert response.status_code == 400
    form = response.context["form"]
    assert RETRAIT in " ".join(form.errors["pilots"]).replace("\u00a0", " ")
    html = page_text(response)
    assert CONFIRMATION in html
    assert 'name="leave_pilots"' in html
    assert '<a class="alert-link" href="#id_pilots_0">Pilotes : ' + RETRAIT in error_summary(html)
    assert "Passer la main" in html
    sheet.refresh_from_db()
    assert (set(sheet.pilots.all()), sheet.goals, sheet.version) == ({pilot, coordinator}, "", 1)
    # Case cochée : la fiche est enregistrée, et le pilote la lit encore sans la modifier.
    response = post(
        client, sheet, pilots=[coordinator.pk], goals="Passer la main", leave_pilots="on"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("actions:detail", args=[SLUG, 4])
    sheet.refresh_from_db()
    assert (list(sheet.pilots.all()), sheet.goals) == ([coordinator], "Passer la main")
    assert client.get(response["Location"]).status_code == 200
    assert client.get(edit_url()).status_code == 403


def test_retirer_un_autre_pilote_ne_demande_rien(client, pilot, coordinator, sheet):
    sheet.pilots.add(coordinator)
    client.force_login(pilot)
    response = post(client, sheet, pilots=[pilot.pk])
    assert response.status_code == 302
    assert list(sheet.pilots.all()) == [pilot]
    # La coordination modifie toutes les fiches : se retirer ne lui retire rien.
    client.force_login(coordinator)
    sheet.pilots.add(coordinator)
    sheet.refresh_from_db()
    response = post(client, sheet, pilots=[])
    assert response.status_code == 302
    assert not sheet.pilots.exists()
    assert CONFIRMATION not in page_text(client.get(edit_url()))
