"""Browser tests: pytest-playwright driving the system's Chromium (Debian's package).

`playwright install` cannot download browsers here, so the tests use /usr/bin/chromium (or
CHROMIUM_PATH). Without it they skip with a reason; CI sets CTG_REQUIRE_BROWSER=1, which turns
that skip into a failure so that CI always runs them.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API runs an event loop in the test's thread, and these tests also use
    the ORM: Django's async-safety check is switched off for the browser tests only. They run
    last (tests/conftest.py orders them), and the switch is restored when they end."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require_tools()
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


VNU_JAR = Path(__file__).resolve().parents[2] / "node_modules" / "vnu-jar" / "build" / "dist"
VNU_JAR = VNU_JAR / "vnu.jar"


def missing_tools():
    """What the browser tests need and this machine lacks, all named at once."""
    missing = []
    if not os.path.exists(CHROMIUM):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium, or CHROMIUM_PATH)")
    if not shutil.which("java"):
        missing.append("Java, for the Nu HTML checker (apt-get install default-jre-headless)")
    if not VNU_JAR.exists():
        missing.append("the Nu HTML checker (npm ci; `make test` runs it when npm is present)")
    return missing


SKIP_PREFIX = "Browser tests not run, missing: "


def require_tools():
    """Skip where a tool is missing, naming every missing one; fail instead in CI
    (CTG_REQUIRE_BROWSER)."""
    missing = missing_tools()
    if not missing:
        return
    reason = SKIP_PREFIX + "; ".join(missing) + "."
    if os.environ.get("CTG_REQUIRE_BROWSER"):
        pytest.fail(reason + " CTG_REQUIRE_BROWSER is set: browser tests must run.")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def valid_html(page, tmp_path):
    """Every HTML page the test's browser receives must pass the Nu HTML checker: 0 errors.

    The pages are collected as they arrive and checked in one run of vnu.jar at the end.
    """
    require_tools()
    files = []

    def collect(response):
        # Read the body as it arrives: the browser drops it once the page navigates away.
        if response.request.resource_type != "document" or response.status in (301, 302):
            return
        if "text/html" not in response.headers.get("content-type", ""):
            return
        path = tmp_path / f"page-{len(files)}.html"
        path.write_bytes(response.body())
        files.append((path, response.url))

    page.on("response", collect)
    yield
    if not files:
        return
    result = subprocess.run(
        [
            "java",
            "-jar",
            str(VNU_JAR),
            "--errors-only",
            "--format",
            "json",
            *[str(p) for p, _url in files],
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or "{}").get("messages", [])
    urls = {f"file:{p}": url for p, url in files}
    errors = [
        f"{urls.get(m.get('url'), m.get('url'))}:{m.get('lastLine')}: {m.get('message')}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert not errors, "Nu HTML checker errors:\n" + "\n".join(errors)


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


WIDTHS = (375, 1280)
OVERFLOW = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"


@pytest.fixture
def check_page(page, assert_accessible):
    """The current page at a phone's and a desktop's width: nothing wider than the screen and
    axe-core 0 violations at each (the Nu HTML checker runs on every page anyway)."""

    def _check():
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            assert not page.evaluate(OVERFLOW), f"wider than {width} px: {page.url}"
            assert_accessible()
        page.set_viewport_size({"width": WIDTHS[-1], "height": 800})

    return _check
