"""Personas and data shared by the whole suite.

Personas (see ../shared/STYLE.md): a coordinator, a pilot, an elected official, a CAF staff
member of the seed convention, an outsider who belongs to another convention, a superuser, and
the anonymous visitor (the plain `client`).
"""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from conventions.models import CafMembership, Convention, Membership
from operations import seed

from .factories import ConventionFactory, MembershipFactory, UserFactory


def pytest_configure(config):
    from django.conf import settings

    # Tests (and the live server of the browser tests, started once) speak plain HTTP;
    # production keeps the redirect and secure cookies (tests/test_settings.py checks it).
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Static files come from the finders: tests do not need `collectstatic` first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    # Background work (printouts.services) runs at once, in the request: a thread would not
    # see the test's transaction. tests/test_stored_printouts.py runs the real threads.
    settings.BACKGROUND_TASKS = "inline"
    # A fast hasher: tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """The browser tests last (after pytest-randomly's shuffle, which keeps their own order
    random): their Playwright event loop must not run beside the other tests' ORM calls."""
    items.sort(key=lambda item: "/e2e/" in str(item.path))


# The seed convention runs 2023–2025 and an ended convention is read-only: the suite lives in
# the seed's last year, unless a test travels elsewhere (time_machine's innermost travel wins).
SUITE_NOW = datetime.datetime(2025, 11, 28, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(autouse=True)
def _in_the_seed_period(request):
    if request.node.get_closest_marker("time_machine"):  # the test's own date
        yield
        return
    with time_machine.travel(SUITE_NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: the throttles' counts (ctg_portal.throttle) of
    one test never refuse another's requests."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files (documents, the demonstration's PDFs) go to the test's own folder,
    never into var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seeded(db):
    """The seed convention, as `seed_ctg` loads it."""
    call_command("seed_ctg", stdout=io.StringIO())
    return Convention.objects.get(slug=seed.SLUG)


def _member(convention, username, role):
    user = UserFactory(username=username)
    MembershipFactory(user=user, convention=convention, role=role)
    return user


@pytest.fixture
def coordinator(seeded):
    return _member(seeded, "coordination", Membership.Role.COORDINATOR)


@pytest.fixture
def pilot(seeded):
    user = _member(seeded, "pilote", Membership.Role.PILOT)
    for sheet in seeded.action_sheets.filter(number__in=[1, 2, 3, 4]):
        sheet.pilots.add(user)
    return user


@pytest.fixture
def other_pilot(seeded):
    """A pilot of the seed convention who pilots fiche 5 only."""
    user = _member(seeded, "pilote2", Membership.Role.PILOT)
    seeded.action_sheets.get(number=5).pilots.add(user)
    return user


@pytest.fixture
def elected(seeded):
    return _member(seeded, "elu", Membership.Role.ELECTED)


@pytest.fixture
def caf_staff(seeded):
    return _member(seeded, "caf", Membership.Role.CAF_STAFF)


@pytest.fixture
def caf_level_staff(seeded):
    """CAF staff at the seed convention's CAF (the CAF du Tarn), with no membership of any
    convention: reads every convention of that CAF."""
    user = UserFactory(username="agent-caf")
    CafMembership.objects.create(user=user, caf=seeded.caf, role=CafMembership.Role.STAFF)
    return user


@pytest.fixture
def caf_manager(seeded):
    """A manager at the seed convention's CAF, with no membership of any convention: reads
    every convention of that CAF and manages their funding."""
    user = UserFactory(username="responsable-caf")
    CafMembership.objects.create(user=user, caf=seeded.caf, role=CafMembership.Role.MANAGER)
    return user


@pytest.fixture
def other_convention(db):
    return ConventionFactory(slug="autre-ctg", title="CTG d’un autre territoire")


@pytest.fixture
def outsider(other_convention):
    """A coordinator of another convention: a stranger to the seed convention."""
    return _member(other_convention, "etranger", Membership.Role.COORDINATOR)


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_staff=True, is_superuser=True)


def pytest_terminal_summary(terminalreporter):
    """One closing line when tests were skipped: how many, why, and how to run them."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reasons.setdefault(reason.removeprefix("Skipped: "), []).append(report)
    for reason, reports in sorted(reasons.items(), key=lambda item: -len(item[1])):
        browser = any("/e2e/" in report.nodeid for report in reports)
        how = " Install them and run `make test` again." if browser else ""
        terminalreporter.write_line(f"{len(reports)} skipped: {reason}{how}", yellow=True)
