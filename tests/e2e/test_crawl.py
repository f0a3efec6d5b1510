"""Every page of every persona, on a phone and on a desktop, crawled in a real browser.

Each persona logs in (the anonymous visitor reads the public page) and follows every link of
the page's `main` and of the navigation, one visit per kind of URL (numbers stand for any
number, the query's keys for any query), from the convention's pages. On each page, at
375 × 800 and 1280 × 800:

- nothing is wider than the screen (`scrollWidth` of the document within the window);
- axe-core finds 0 violations: its default rules (WCAG 2.x A and AA, best practices) and the
  WCAG 2.2 target size, off by default (the AAA rules, `color-contrast-enhanced` among them,
  stay off);
- every text of an SVG chart is at least 12 px tall, as drawn;

and the Nu HTML checker reads every page received (the autouse fixture of conftest.py).

Left out: logging out (a POST), exports, PDFs and Word and spreadsheet reports (files, not
pages), POST-only URLs (no link leads to one), and the back-office past its index (Django's
own pages: the superuser visits /admin/ and follows none of its links). The funding pages are
crawled in their own tests, skipped while FUNDING_PENDING is true.

The convention carries the demonstration data (`operations.demo`), as on a demo portal: its
banner, steps to mark done, notes, indicator values.
"""

import re
import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from operations import seed
from operations.demo import add_demo_progress

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = seed.SLUG
CONVENTION = f"/conventions/{SLUG}/"
# The funding pages are being reworked (templates/funding, issue 12): flip this once they are
# done, and their crawl joins the others.
FUNDING_PENDING = False
FUNDING_REASON = "templates/funding pending (issue 12)"

WIDTHS = (375, 1280)
HEIGHT = 800
MIN_CHART_TEXT = 12  # px, the height of a chart's text as drawn
MAX_PAGES = 40  # per crawl: a bound, far above what the portal has

AXE_SCRIPT = Axe().axe_script
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}

LINKS = """() => [...document.querySelectorAll('main a[href], header nav a[href]')]
    .filter(a => !a.hasAttribute('download'))
    .map(a => new URL(a.getAttribute('href'), location.href).href)"""
# What sticks out of the window: the outermost elements past its right edge, outside any box
# that scrolls (which holds its overflow).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible') return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 0.5 && !scrolls(el))
    .filter(el => el.parentElement === document.body ||
                  el.parentElement.getBoundingClientRect().right <= width + 0.5)
    .slice(0, 5)
    .map(el => `${el.outerHTML.slice(0, 120)}… (to ${el.getBoundingClientRect().right} px)`);
}"""
MARKUP = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('[name=csrfmiddlewaretoken]').forEach(input => input.remove());
  body.querySelectorAll('#logout-form button').forEach(button => button.textContent = '');
  return body.innerHTML;
}"""
CHART_TEXT = """(minimum) => [...document.querySelectorAll('svg text')]
    .map(t => [t.textContent, t.getBoundingClientRect().height])
    .filter(([text, height]) => height > 0 && height < minimum)
    .map(([text, height]) => `“${text}” ${height.toFixed(1)} px`)"""

# fixture, username
PERSONAS = [
    ("coordinator", "coordination"),
    ("pilot", "pilote"),
    ("elected", "elu"),
    ("caf_staff", "caf"),
    ("superuser", "admin"),
]


def pattern(url):
    """One visit per kind of URL: its path, numbers as N, and the names of its query's keys."""
    parts = urlsplit(url)
    keys = sorted({key for key, _value in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def left_out(path, *, superuser):
    """Why a link is not followed (None: it is)."""
    if path.startswith("/admin/"):
        return None if superuser and path == "/admin/" else "back-office"
    if path.startswith(("/deconnexion/", "/static/")):
        return "not a page"
    if re.search(r"/export\.\w+$|\.(pdf|docx|xlsx|ods|csv)$", path):
        return "a file"
    return None


@pytest.fixture
def demo_convention(seeded, coordinator):
    """The seed convention with its demonstration data, public."""
    add_demo_progress(seeded, coordinator)
    seeded.is_public = True
    seeded.save()
    return seeded


def crawl(page, portal, starts, checked, *, superuser=False, funding=False):
    """Visit every page reachable from `starts`; returns (pages visited, problems found).

    checked: the pages already read by axe-core, as their markup without what is the user's
    own (the CSRF tokens, the name on the logout button): a page that another persona saw the
    same is measured again, not read by axe again (it takes most of the crawl's time).
    """
    queue = [portal + start for start in starts]
    seen, visited, problems = set(), [], []
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != portal or pattern(url) in seen:
            continue
        seen.add(pattern(url))
        in_funding = "/financements/" in parts.path
        if in_funding != funding or left_out(parts.path, superuser=superuser):
            continue
        assert len(visited) < MAX_PAGES, f"more than {MAX_PAGES} kinds of pages: {visited}"
        page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        response = page.goto(url)
        where = url.removeprefix(portal)
        visited.append(where)
        if response is None or response.status != 200:
            problems.append(f"{where}: HTTP {response and response.status}")
            continue
        markup = page.evaluate(MARKUP)
        # What is folded is measured too: the tables under the charts, the forms.
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            problems += check(page, f"{where} at {width} px", axe=markup not in checked)
        checked.add(markup)
        if not parts.path.startswith("/admin/"):
            queue += [link.split("#")[0] for link in page.evaluate(LINKS)]
    return visited, problems


def axe_violations(page):
    """axe-core's violations on the page as it is drawn now; axe is loaded once per page."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    return page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)["violations"]


def check(page, where, *, axe=True):
    problems = []
    scroll_width, window_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    if scroll_width > window_width:
        wide = "\n      ".join(page.evaluate(OVERFLOW))
        problems.append(f"{where}: {scroll_width} px wide\n      {wide}")
    for violation in axe_violations(page) if axe else []:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        problems.append(f"{where}: axe {violation['id']} ({violation['impact']}): {targets}")
    small = page.evaluate(CHART_TEXT, MIN_CHART_TEXT)
    if small:
        problems.append(f"{where}: chart text under {MIN_CHART_TEXT} px: {', '.join(small[:5])}")
    return problems


def report(visited, problems, started, checked):
    print(
        f"\n{len(visited)} pages ({len(checked)} different) × {len(WIDTHS)} widths "
        f"in {time.monotonic() - started:.1f} s"
    )
    assert visited
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def crawl_as_each_persona(page, portal, login, *, funding):
    """Each persona in turn, logged in on the same page (one run of the Nu HTML checker)."""
    started = time.monotonic()
    visited, problems, checked = [], [], set()
    for persona, username in PERSONAS:
        page.context.clear_cookies()
        login(username)
        if funding:
            starts = [f"{CONVENTION}financements/"]
        else:
            # The first sheet has steps still to mark done (the pilot pilots it) and an
            # indicator: the sheet's page is visited on it.
            starts = ["/", f"{CONVENTION}fiches/1/", CONVENTION, "/conventions/"]
        pages, found = crawl(
            page, portal, starts, checked, superuser=persona == "superuser", funding=funding
        )
        visited += [f"{username} {where}" for where in pages]
        problems += [f"{username} {problem}" for problem in found]
    report(visited, problems, started, checked)


PERSONA_FIXTURES = [fixture for fixture, _username in PERSONAS]


@pytest.mark.usefixtures(*PERSONA_FIXTURES)
def test_every_page_of_every_persona(page, portal, login, demo_convention):
    crawl_as_each_persona(page, portal, login, funding=False)


@pytest.mark.skipif(FUNDING_PENDING, reason=FUNDING_REASON)
@pytest.mark.usefixtures(*PERSONA_FIXTURES)
def test_every_funding_page_of_every_persona(page, portal, login, demo_convention):
    crawl_as_each_persona(page, portal, login, funding=True)


def test_every_public_page(page, portal, demo_convention):
    """The anonymous visitor: the public dashboard, and where its links lead (the login)."""
    started = time.monotonic()
    checked = set()
    visited, problems = crawl(page, portal, [f"/public/{SLUG}/", "/connexion/"], checked)
    report(visited, problems, started, checked)


def test_the_menu_folds_on_a_phone(page, portal, login, demo_convention, coordinator, browser):
    page.set_viewport_size({"width": 375, "height": HEIGHT})
    login("coordination")
    page.goto(f"{portal}{CONVENTION}")
    menu = page.get_by_role("button", name="Menu")
    overview = page.get_by_role("link", name="Vue d’ensemble")
    expect(overview).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(overview).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    # The brand and the button keep clear of the screen's edges.
    for box in (page.locator(".navbar-brand").bounding_box(), menu.bounding_box()):
        assert box["x"] >= 8 and box["x"] + box["width"] <= 375 - 8
    page.set_viewport_size({"width": 1280, "height": HEIGHT})
    expect(menu).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile("Se déconnecter"))).to_be_visible()

    # Without JavaScript, the menu stays open and its button hidden.
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 375, "height": HEIGHT}
    )
    context.add_cookies(page.context.cookies())
    still = context.new_page()
    still.goto(f"{portal}{CONVENTION}")
    expect(still.get_by_role("link", name="Vue d’ensemble")).to_be_visible()
    expect(still.get_by_role("button", name="Menu")).to_be_hidden()
    context.close()
