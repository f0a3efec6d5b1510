"""Control characters (NUL, SOH, ESC…) are refused by every form that writes text, in French,
beside the field, and nothing is written; a search holding one answers the page, never a 500.

Django's own form fields refuse a NUL before the model's validator sees it: the user is then
told so in French ("Le caractère nul n’est pas autorisé."), beside the field, with a 400.
"""

import re

import pytest
from django.urls import reverse

from actions.models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step
from conventions.models import Convention, Partner
from ctg_portal.models import Submission

from .factories import IndicatorFactory
from .helpers import once, sheet_edit_payload

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"

CONTROL = ["\x01", "\x1b", "\x00"]
CONTROL_IDS = ["SOH", "ESC", "NUL"]


def refusal(char):
    """The French message a text holding `char` is refused with."""
    if char == "\x00":
        return "Le caractère nul n’est pas autorisé."
    return f"caractère de contrôle (U+{ord(char):04X})"


def flagged(html, name):
    """True when the input or textarea named `name` is marked invalid (Bootstrap's class)."""
    tags = re.findall(rf'<(?:input|textarea|select)\b[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert tags, f"no field named {name}"
    return all("is-invalid" in tag for tag in tags)


def assert_refused(response, form, field, html_name, char):
    assert response.status_code == 400
    assert refusal(char) in " ".join(form.errors[field])
    html = response.content.decode()
    # The message is shown on the page, and the field is marked.
    assert refusal(char) in html
    assert flagged(html, html_name)


@pytest.fixture
def sheet(seeded):
    return seeded.action_sheets.get(number=4)


@pytest.fixture
def as_coordinator(client, coordinator):
    client.force_login(coordinator)
    return client


def snapshot(sheet):
    """What a refused post must leave unchanged: the sheet, its steps and indicators."""
    sheet = ActionSheet.objects.get(pk=sheet.pk)
    return (
        sheet.version,
        sheet.history.count(),
        [getattr(sheet, f) for f in ("title", "description", "goals", "target_publics")],
        sheet.elected_referent,
        list(sheet.steps.values_list("pk", "title")),
        list(sheet.indicators.values_list("pk", "label", "unit")),
    )


# The portal's sheet edit form ------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
@pytest.mark.parametrize(
    "field", ["title", "description", "goals", "target_publics", "elected_referent"]
)
def test_sheet_edit_refuses_control_characters(as_coordinator, sheet, field, char):
    before = snapshot(sheet)
    url = reverse("actions:edit", args=[SLUG, 4])
    response = as_coordinator.post(url, sheet_edit_payload(sheet, **{field: f"Texte{char}collé"}))
    assert_refused(response, response.context["form"], field, field, char)
    assert "La fiche n’a pas été enregistrée" in response.content.decode()
    assert snapshot(sheet) == before


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
@pytest.mark.parametrize(
    ("formset", "row", "field"),
    [
        ("steps", {"title": "Étape", "due_on": "2024-05-01", "done_on": ""}, "title"),
        ("indicators", {"label": "Places", "unit": "places", "kind": "result"}, "label"),
        ("indicators", {"label": "Places", "unit": "places", "kind": "result"}, "unit"),
    ],
)
def test_sheet_edit_rows_refuse_control_characters(
    as_coordinator, sheet, formset, row, field, char
):
    before = snapshot(sheet)
    # Every current row, unchanged, plus a new one holding the character.
    payload = sheet_edit_payload(sheet)
    existing = getattr(sheet, formset).count()
    payload[f"{formset}-TOTAL_FORMS"] = existing + 1
    for key, value in row.items():
        payload[f"{formset}-{existing}-{key}"] = f"{value}{char}" if key == field else value
    url = reverse("actions:edit", args=[SLUG, 4])
    response = as_coordinator.post(url, payload)
    form = response.context[formset].forms[existing]
    assert_refused(response, form, field, f"{formset}-{existing}-{field}", char)
    assert snapshot(sheet) == before


def test_sheet_edit_keeps_tabs_and_new_lines(as_coordinator, sheet):
    text = "Premier point :\n\t- accueillir\r\n\t- orienter"
    url = reverse("actions:edit", args=[SLUG, 4])
    response = as_coordinator.post(url, sheet_edit_payload(sheet, description=text))
    assert response.status_code == 302
    sheet.refresh_from_db()
    # A browser posts line breaks as CRLF; Django keeps them as sent.
    assert sheet.description == text


# Creating a sheet ------------------------------------------------------------------------


def creation_data(seeded, **changes):
    return {
        "number": 17,
        "title": "Créer un livret d’accueil",
        "objective": seeded.objectives.get(number=7).pk,
        "status": "todo",
        "priority": "medium",
        "progress": 0,
        "steps-TOTAL_FORMS": 1,
        "steps-INITIAL_FORMS": 0,
        "steps-0-title": "Rédaction",
        "steps-0-due_on": "2025-03-01",
        "indicators-TOTAL_FORMS": 1,
        "indicators-INITIAL_FORMS": 0,
        "indicators-0-label": "Livrets distribués",
        "indicators-0-unit": "livrets",
        "indicators-0-kind": "result",
        **changes,
    }


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
@pytest.mark.parametrize(
    ("field", "form_name"),
    [
        ("title", "form"),
        ("description", "form"),
        ("steps-0-title", "steps"),
        ("indicators-0-label", "indicators"),
    ],
)
def test_sheet_creation_refuses_control_characters(as_coordinator, seeded, field, form_name, char):
    url = reverse("actions:create", args=[SLUG])
    response = as_coordinator.post(url, creation_data(seeded, **{field: f"Livret{char}"}))
    form = response.context[form_name]
    if form_name != "form":
        form = form.forms[0]
    assert_refused(response, form, field.rsplit("-", 1)[-1], field, char)
    assert not seeded.action_sheets.filter(number=17).exists()
    assert not Step.objects.filter(title__startswith="Livret").exists()
    assert not Indicator.objects.filter(label__startswith="Livret").exists()


def test_sheet_creation_keeps_tabs_and_new_lines(as_coordinator, seeded):
    url = reverse("actions:create", args=[SLUG])
    text = "Deux lignes\r\n\tdont une en retrait"
    response = as_coordinator.post(url, creation_data(seeded, description=text))
    assert response.status_code == 302
    assert seeded.action_sheets.get(number=17).description == text


# Notes and indicator values, on the sheet's page ---------------------------------------


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
def test_note_refuses_control_characters(as_coordinator, sheet, char):
    notes = ProgressNote.objects.count()
    token = once()
    response = as_coordinator.post(
        reverse("actions:note_add", args=[SLUG, 4]),
        {
            "written_on": "2024-03-01",
            "text": f"Réunion{char} tenue",
            "version": sheet.version,
            "submission": token,
        },
    )
    assert_refused(response, response.context["note_form"], "text", "text", char)
    assert ProgressNote.objects.count() == notes
    # The one-time token was not spent: the user corrects the note and posts it again.
    assert not Submission.objects.filter(token=token).exists()


def test_note_keeps_tabs_and_new_lines(as_coordinator, sheet):
    text = "Réunion tenue.\r\n\tProchaine en mai."
    response = as_coordinator.post(
        reverse("actions:note_add", args=[SLUG, 4]),
        {"written_on": "2024-03-01", "text": text, "version": sheet.version, "submission": once()},
    )
    assert response.status_code == 302
    assert sheet.notes.filter(text=text).exists()


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
def test_note_token_refuses_control_characters(as_coordinator, sheet, char):
    """The hidden one-time token is text too: a forged one holding a control character is
    refused, above the form, and nothing is written."""
    notes = ProgressNote.objects.count()
    token = f"{once()}{char}"
    response = as_coordinator.post(
        reverse("actions:note_add", args=[SLUG, 4]),
        {
            "written_on": "2024-03-01",
            "text": "Réunion",
            "version": sheet.version,
            "submission": token,
        },
    )
    assert response.status_code == 400
    assert refusal(char) in " ".join(response.context["note_form"].non_field_errors())
    assert ProgressNote.objects.count() == notes
    assert not Submission.objects.exists()


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
def test_indicator_value_refuses_control_characters(as_coordinator, sheet, char):
    indicator = IndicatorFactory(sheet=sheet)
    values = IndicatorValue.objects.count()
    prefix = f"value-{indicator.pk}"
    response = as_coordinator.post(
        reverse("actions:value_add", args=[SLUG, 4, indicator.pk]),
        {
            f"{prefix}-measured_on": "2024-03-01",
            f"{prefix}-value": "12",
            f"{prefix}-comment": f"Comptage{char}",
        },
    )
    shown = next(i for i in response.context["indicators"] if i.pk == indicator.pk)
    assert_refused(response, shown.value_form, "comment", f"{prefix}-comment", char)
    assert IndicatorValue.objects.count() == values


# The back-office ------------------------------------------------------------------------


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def admin_data(response, **changes):
    """The POST data of the admin form in `response` as shown, its inlines left as they are
    (no row sent, none deleted), with `changes` applied."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    data.update(changes)
    return data


@pytest.fixture
def as_superuser(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
@pytest.mark.parametrize(
    ("model", "field"),
    [(Convention, "title"), (Convention, "territory"), (Partner, "name")],
    ids=["convention-title", "convention-territory", "partner-name"],
)
def test_admin_refuses_control_characters(as_superuser, seeded, model, field, char):
    obj = (
        seeded
        if model is Convention
        else Partner.objects.filter(signatures__convention=seeded).first()
    )
    before = getattr(obj, field)
    url = admin_url(model, "change", obj.pk)
    response = as_superuser.post(url, admin_data(as_superuser.get(url), **{field: f"Nom{char}"}))
    assert response.status_code == 200  # the admin answers a refused form with 200
    form = response.context["adminform"].form
    assert refusal(char) in " ".join(form.errors[field])
    html = response.content.decode()
    # The admin marks the field's row and lists the message just before the field.
    row = re.search(
        rf'<div class="form-row[^"]*\berrors\b[^"]*field-{field}\b.*?</div>', html, re.S
    )
    assert row is not None and "errorlist" in row.group()
    obj.refresh_from_db()
    assert getattr(obj, field) == before


# Searches -------------------------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
def test_search_with_control_characters_answers(as_coordinator, seeded, char):
    url = reverse("actions:list", args=[SLUG])
    response = as_coordinator.get(url, {"q": char})
    assert response.status_code == 200
    # The character is left out: an empty search, every sheet listed, the box empty.
    assert response.context["page"].paginator.count == seeded.action_sheets.active().count()
    assert char not in response.content.decode()
    sheet = seeded.action_sheets.get(number=4)
    word = sheet.title.split()[0]
    response = as_coordinator.get(url, {"q": f"{char}{word}{char}"})
    assert response.status_code == 200
    assert response.context["filters"].cleaned_data["q"] == word
    assert sheet in response.context["page"].object_list
    assert char not in response.content.decode()


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
def test_overview_with_control_characters_answers(as_coordinator, seeded, char):
    response = as_coordinator.get(reverse("portal:overview"), {"q": char, "page": char})
    assert response.status_code == 200


@pytest.mark.parametrize("char", CONTROL, ids=CONTROL_IDS)
def test_login_with_control_characters_answers(client, coordinator, char):
    """The sign-in form writes nothing of its own, but must not fail on such a text."""
    response = client.post(reverse("login"), {"username": f"coordination{char}", "password": "x"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
