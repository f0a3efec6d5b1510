"""Browser tests: pytest-playwright driving the system's Chromium (Debian's package).

`playwright install` cannot download browsers here, so the tests use /usr/bin/chromium (or
CHROMIUM_PATH). Without it they skip with a reason; CI sets CTG_REQUIRE_BROWSER=1, which turns
that skip into a failure so that CI always runs them.
"""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test's thread; the tests also use the ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        reason = (
            f"No Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium) "
            "or set CHROMIUM_PATH to run the browser tests."
        )
        if os.environ.get("CTG_REQUIRE_BROWSER"):
            pytest.fail(reason + " CTG_REQUIRE_BROWSER is set: browser tests must run.")
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture
def portal(live_server):
    """The live server's base URL (plain HTTP: see tests/conftest.py)."""
    return live_server.url


@pytest.fixture
def login(page, portal):
    """Log a persona in through the login form, as a person would."""

    def _login(username, password="password"):
        page.goto(f"{portal}/connexion/")
        page.get_by_label("Nom d’utilisateur").fill(username)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
        return page

    return _login


@pytest.fixture
def assert_accessible(page):
    """Run axe-core on the current page: 0 violations expected."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def _check():
        results = axe.run(page)
        violations = results.response["violations"]
        assert violations == [], results.generate_report()

    return _check
