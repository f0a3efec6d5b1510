"""Two people edit one fiche action at once: the second save merges, it never overwrites.

Issue 11, item 1: A sets progress 55 and rewrites the description of fiche 5; B, from the same
version, changes the goals and priority. B's save keeps A's progress and description; what both
changed is shown side by side with A's actual value, who and when, for B to choose.
"""

import pytest
from django.urls import reverse

from actions.models import ActionSheet, Step

from .factories import StepFactory, UserFactory
from .helpers import iso, sheet_edit_payload

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"


def edit_url(number=5):
    return reverse("actions:edit", args=[SLUG, number])


@pytest.fixture
def sheet(seeded):
    return seeded.action_sheets.get(number=5)


@pytest.fixture
def colleague(seeded):
    from conventions.models import Membership

    from .factories import MembershipFactory

    user = UserFactory(username="alice", first_name="Alice", last_name="Durand")
    MembershipFactory(user=user, convention=seeded, role=Membership.Role.COORDINATOR)
    return user


@pytest.fixture
def two(client, coordinator, colleague):
    """Two logged-in browsers: the colleague (A) and the coordinator (B)."""
    a = client.__class__()
    a.force_login(colleague)
    client.force_login(coordinator)
    return a, client


def html_of(response):
    return response.content.decode().replace("&nbsp;", "\u00a0")


def test_changes_on_different_fields_merge_without_asking(two, sheet):
    a, b = two
    old_progress = sheet.progress
    form_a = sheet_edit_payload(sheet, progress=55, description="Le texte réécrit par A.")
    form_b = sheet_edit_payload(sheet, goals="Les objectifs de B", priority="high")
    assert a.post(edit_url(), form_a).status_code == 302
    response = b.post(edit_url(), form_b, follow=True)
    assert response.redirect_chain[-1][1] == 302
    sheet.refresh_from_db()
    assert (sheet.progress, sheet.description) == (55, "Le texte réécrit par A.")
    assert (sheet.goals, sheet.priority) == ("Les objectifs de B", "high")
    assert old_progress != 55
    assert sheet.version == 3
    html = html_of(response)
    assert "vos modifications ont été fusionnées" in html
    assert "Avancement (%)" in html and "Description" in html


def test_changes_on_one_field_are_shown_side_by_side_for_the_user_to_choose(two, sheet):
    a, b = two
    form_a = sheet_edit_payload(sheet, progress=55, description="Le texte réécrit par A.")
    form_b = sheet_edit_payload(sheet, description="La version de B.", priority="high")
    assert a.post(edit_url(), form_a).status_code == 302

    response = b.post(edit_url(), form_b)
    assert response.status_code == 409
    html = html_of(response)
    assert "Cette fiche a été modifiée par quelqu’un d’autre" in html
    # A's actual text, who and when, beside B's.
    assert "Le texte réécrit par A." in html
    assert "La version de B." in html
    assert "Alice Durand" in html
    [conflict] = response.context["conflicts"]
    assert conflict.key == "fields.description"
    sheet.refresh_from_db()
    assert sheet.description == "Le texte réécrit par A." and sheet.priority != "high"
    # The form holds the merge: A's progress, B's priority, B's description to confirm.
    form = response.context["form"]
    assert form["progress"].value() in (55, "55")
    assert form["priority"].value() == "high"

    # Saving without choosing is refused, nothing written.
    data = form_data(response)
    refused = b.post(edit_url(), data)
    assert refused.status_code == 409
    assert "Choisissez" in html_of(refused)
    sheet.refresh_from_db()
    assert sheet.version == 2

    # Choosing A's text keeps it; B's priority is applied, A's progress stays.
    data["keep.fields.description"] = "theirs"
    assert b.post(edit_url(), data).status_code == 302
    sheet.refresh_from_db()
    assert (sheet.description, sheet.priority, sheet.progress) == (
        "Le texte réécrit par A.",
        "high",
        55,
    )


def test_choosing_ones_own_value_applies_it(two, sheet):
    a, b = two
    form_a = sheet_edit_payload(sheet, goals="Objectifs de A")
    form_b = sheet_edit_payload(sheet, goals="Objectifs de B")
    assert a.post(edit_url(), form_a).status_code == 302
    response = b.post(edit_url(), form_b)
    assert response.status_code == 409
    data = form_data(response)
    data["keep.fields.goals"] = "mine"
    assert b.post(edit_url(), data).status_code == 302
    sheet.refresh_from_db()
    assert sheet.goals == "Objectifs de B"


def test_a_post_without_version_is_refused_like_a_stale_one(two, sheet):
    _a, b = two
    data = sheet_edit_payload(sheet, goals="Sans version")
    del data["version"]
    del data["base"]
    ActionSheet.objects.filter(pk=sheet.pk).update(goals="Écrit entre-temps")
    response = b.post(edit_url(), data)
    assert response.status_code == 409
    assert [c.key for c in response.context["conflicts"]] == ["fields.goals"]
    sheet.refresh_from_db()
    assert sheet.goals == "Écrit entre-temps"


def test_steps_and_indicators_merge_row_by_row(two, sheet):
    a, b = two
    first = StepFactory(sheet=sheet, title="Réunir les partenaires", due_on=None)
    second = StepFactory(sheet=sheet, title="Rédiger le cahier des charges", due_on=None)
    gone = StepFactory(sheet=sheet, title="Étape à supprimer", due_on=None)
    rows = [
        {"id": s.pk, "title": s.title, "due_on": iso(s.due_on), "done_on": ""}
        for s in (first, second, gone)
    ]
    # A renames the first step and adds one; B dates the second, deletes the third, adds one.
    steps_a = [dict(rows[0], title="Réunir tous les partenaires"), rows[1], rows[2]]
    steps_a.append({"title": "Nouvelle étape de A", "due_on": "", "done_on": ""})
    steps_b = [rows[0], dict(rows[1], due_on="2025-06-30"), dict(rows[2], DELETE="on")]
    steps_b.append({"title": "Nouvelle étape de B", "due_on": "", "done_on": ""})
    form_a = sheet_edit_payload(sheet, steps=steps_a)
    form_b = sheet_edit_payload(sheet, steps=steps_b)
    assert a.post(edit_url(), form_a).status_code == 302
    assert b.post(edit_url(), form_b).status_code == 302
    titles = dict(Step.objects.filter(sheet=sheet).values_list("title", "due_on"))
    assert set(titles) == {
        "Réunir tous les partenaires",
        "Rédiger le cahier des charges",
        "Nouvelle étape de A",
        "Nouvelle étape de B",
    }
    assert iso(titles["Rédiger le cahier des charges"]) == "2025-06-30"


def test_a_step_deleted_by_one_and_changed_by_the_other_is_kept(two, sheet):
    a, b = two
    step = StepFactory(sheet=sheet, title="À garder", due_on=None)
    row = {"id": step.pk, "title": step.title, "due_on": "", "done_on": ""}
    form_a = sheet_edit_payload(sheet, steps=[dict(row, DELETE="on")])
    form_b = sheet_edit_payload(sheet, steps=[dict(row, title="À garder, renommée")])
    assert a.post(edit_url(), form_a).status_code == 302
    response = b.post(edit_url(), form_b, follow=True)
    assert response.redirect_chain
    assert list(Step.objects.filter(sheet=sheet).values_list("title", flat=True)) == [
        "À garder, renommée"
    ]
    assert "supprimez-le à nouveau" in html_of(response)


def test_both_change_one_step_field(two, sheet):
    a, b = two
    step = StepFactory(sheet=sheet, title="Étape commune", due_on=None)
    row = {"id": step.pk, "title": step.title, "due_on": "", "done_on": ""}
    form_a = sheet_edit_payload(sheet, steps=[dict(row, title="Titre A")])
    form_b = sheet_edit_payload(sheet, steps=[dict(row, title="Titre B")])
    assert a.post(edit_url(), form_a).status_code == 302
    response = b.post(edit_url(), form_b)
    assert response.status_code == 409
    [conflict] = response.context["conflicts"]
    assert conflict.key == f"steps.{step.pk}.title"
    assert "Titre A" in html_of(response) and "Alice Durand" in html_of(response)
    data = form_data(response)
    data[f"keep.steps.{step.pk}.title"] = "theirs"
    assert b.post(edit_url(), data).status_code == 302
    step.refresh_from_db()
    assert step.title == "Titre A"


def test_links_merge_item_by_item(two, sheet, seeded):
    a, b = two
    albine, other = seeded.signatories.filter(kind="commune").order_by("name")[:2]
    form_a = sheet_edit_payload(sheet, communes=[albine.pk])
    form_b = sheet_edit_payload(sheet, communes=[other.pk])
    assert a.post(edit_url(), form_a).status_code == 302
    assert b.post(edit_url(), form_b).status_code == 302
    assert set(sheet.communes.values_list("pk", flat=True)) == {albine.pk, other.pk}


def test_a_step_marked_done_meanwhile_is_kept(two, sheet):
    _a, b = two
    step = StepFactory(sheet=sheet, title="Étape faite entre-temps", due_on=None)
    form_b = sheet_edit_payload(sheet, goals="Objectifs de B")
    b.post(
        reverse("actions:step_done", args=[SLUG, 5, step.pk]),
        {"done_on": "2025-01-15"},
    )
    step.refresh_from_db()
    assert step.done_on is not None
    assert b.post(edit_url(), form_b).status_code == 302
    step.refresh_from_db()
    sheet.refresh_from_db()
    assert step.done_on is not None and sheet.goals == "Objectifs de B"


def test_a_forged_base_is_ignored(two, sheet):
    _a, b = two
    data = sheet_edit_payload(sheet, goals="Avec une base forgée")
    data["base"] = data["base"][:-3] + "abc"
    ActionSheet.objects.filter(pk=sheet.pk).update(version=9, goals="Autre")
    response = b.post(edit_url(), data)
    assert response.status_code == 409  # no base: every difference is for the user to choose


def form_data(response):
    """The POST data of the form a response shows, as the browser would send it back."""
    form = response.context["form"]
    data = dict(form.data.items())
    for name in ("domains", "pilots", "partners", "communes"):
        data[name] = form.data.getlist(name)
    return data
