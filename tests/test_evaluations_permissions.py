"""The permission matrix of the evaluation pages: members read, coordinators (and superusers)
write, the other members get 403 on every write, outsiders 404, anonymous visitors the login
page. Nothing is written by a refused request. The clock stands in the seed convention's last
year, when the evaluation is open (tests/test_evaluations.py checks the period rule)."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from evaluations.models import Evaluation, ObjectiveEvaluation

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2025, 6, 10, 10, 0, tzinfo=PARIS)
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW, tick=False)]

PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]
MANAGERS = {"coordinator", "superuser"}
READERS = {"pilot", "elected", "caf_staff"}

URL_NAMES = {
    "evaluations:detail",
    "evaluations:edit",
    "evaluations:objective",
    "evaluations:report_pdf",
    "evaluations:report_docx",
    "evaluations:report_xlsx",
}

# name → {persona: (GET, POST)}. An empty post is refused by the form (400) for a coordinator.
WRITE = {
    "anonymous": (302, 302),
    "outsider": (404, 404),
    **dict.fromkeys(MANAGERS, (200, 400)),
    **dict.fromkeys(READERS, (403, 403)),
}
READ = {
    "anonymous": (302, 302),
    "outsider": (404, 405),
    **dict.fromkeys(MANAGERS | READERS, (200, 405)),
}
MATRIX = {
    "evaluations:detail": READ,
    # The evaluation's reports (PDF, Word, spreadsheet): read by every member, never posted to.
    "evaluations:report_pdf": READ,
    "evaluations:report_docx": READ,
    "evaluations:report_xlsx": READ,
    "evaluations:edit": WRITE,
    "evaluations:objective": WRITE,
}


def url_of(name, convention):
    if name == "evaluations:objective":
        return reverse(name, args=[convention.slug, 1])
    return reverse(name, args=[convention.slug])


@pytest.fixture
def evaluation(seeded):
    evaluation = Evaluation.objects.create(convention=seeded, conclusion="Conclusion.")
    ObjectiveEvaluation.objects.create(
        evaluation=evaluation, objective=seeded.objectives.get(number=1), question="relevance"
    )
    return evaluation


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(request, client, evaluation, persona, name, method):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = getattr(client, method)(url_of(name, evaluation.convention))
    get_status, post_status = MATRIX[name][persona]
    assert response.status_code == (get_status if method == "get" else post_status)
    if response.status_code == 302 and persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    # Nothing written by any of them.
    evaluation.refresh_from_db()
    assert evaluation.version == 1 and evaluation.conclusion == "Conclusion."
    assert ObjectiveEvaluation.objects.get().version == 1


def test_caf_level_members_read_but_do_not_write(client, evaluation, caf_level_staff, caf_manager):
    convention = evaluation.convention
    for user in (caf_level_staff, caf_manager):
        client.force_login(user)
        assert client.get(url_of("evaluations:detail", convention)).status_code == 200
        assert client.get(url_of("evaluations:edit", convention)).status_code == 403
        response = client.post(url_of("evaluations:edit", convention), {"conclusion": "Non."})
        assert response.status_code == 403
    evaluation.refresh_from_db()
    assert evaluation.conclusion == "Conclusion."


def test_matrix_names_every_url_of_the_module():
    assert set(MATRIX) == URL_NAMES
    from evaluations import urls

    assert {f"evaluations:{p.name}" for p in urls.urlpatterns} == URL_NAMES
