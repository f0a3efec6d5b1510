"""The permission matrix covers every URL of the portal.

The per-page matrices live beside their pages (test_action_sheet_permissions,
test_funding_permissions, test_dashboard); this module holds the remaining core pages and
fails when the URLconf has a URL that no matrix covers.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from . import (
    test_account,
    test_action_sheet_permissions,
    test_api_permissions,
    test_bilans_permissions,
    test_committees_permissions,
    test_dashboard_committees,
    test_documents,
    test_evaluations_permissions,
    test_feeds,
    test_funding_permissions,
    test_invitations,
    test_members,
    test_opendata_package,
    test_password_reset,
    test_renewals_permissions,
)

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"
PERSONAS = ["coordinator", "pilot", "elected", "caf_staff", "outsider", "anonymous", "superuser"]

# name → {persona: (GET, POST)}; "*" for every persona not listed.
CORE = {
    "portal:home": {"anonymous": (302, 302), "*": (200, 405)},
    "login": {"*": (200, 200)},
    "logout": {"*": (405, 302)},
    "healthz": {"*": (200, 405)},
    "portal:overview": {"anonymous": (302, 302), "*": (200, 405)},
    "portal:dashboard": {"anonymous": (302, 302), "outsider": (404, 405), "*": (200, 405)},
    "portal:public": {"*": (404, 405)},  # the seed convention is not public
    # Coordinators publish; an empty post (no action) is answered with a message, not a write.
    "portal:publication": {
        "anonymous": (302, 302),
        "outsider": (404, 404),
        "coordinator": (200, 302),
        "superuser": (200, 302),
        "*": (403, 403),
    },
    # The printouts (print pages and PDFs): who reads the dashboard, who reads the sheet.
    "portal:dashboard_printout": {"anonymous": (302, 302), "outsider": (404, 405), "*": (200, 405)},
    "portal:dashboard_pdf": {"anonymous": (302, 302), "outsider": (404, 405), "*": (200, 405)},
    "portal:sheet_printout": {"anonymous": (302, 302), "outsider": (404, 405), "*": (200, 405)},
    "portal:sheet_pdf": {"anonymous": (302, 302), "outsider": (404, 405), "*": (200, 405)},
}
CORE_ARGS = {
    "portal:dashboard": [SLUG],
    "portal:public": [SLUG],
    "portal:publication": [SLUG],
    "portal:dashboard_printout": [SLUG],
    "portal:dashboard_pdf": [SLUG],
    "portal:sheet_printout": [SLUG, 4],
    "portal:sheet_pdf": [SLUG, 4],
}
COVERED_ELSEWHERE = {f"actions:{n}" for n in test_action_sheet_permissions.URL_NAMES} | {
    f"funding:{n}" for n in test_funding_permissions.cases(None)
}
# test_funding_permissions names its export cases by format; the URL is one.
COVERED_ELSEWHERE |= {"funding:export"}
# The people pages: members and invitations, the account page and the password reset.
for module in (
    test_bilans_permissions,
    test_members,
    test_invitations,
    test_account,
    test_password_reset,
    test_committees_permissions,
    test_dashboard_committees,
    test_documents,
    test_evaluations_permissions,
    test_renewals_permissions,
    test_feeds,
    test_opendata_package,
    test_api_permissions,
):
    COVERED_ELSEWHERE |= set(module.URL_NAMES)


def all_url_names(resolver=None, namespace=""):
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin: staff only, its own permission system (test_admin)
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= all_url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_url_is_in_a_permission_matrix():
    uncovered = all_url_names() - set(CORE) - COVERED_ELSEWHERE
    assert not uncovered, f"URLs without a permission matrix: {sorted(uncovered)}"


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(CORE))
@pytest.mark.parametrize("persona", PERSONAS)
def test_core_matrix(request, client, seeded, persona, name, method):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    expectations = CORE[name]
    get_status, post_status = expectations.get(persona, expectations.get("*"))
    url = reverse(name, args=CORE_ARGS.get(name, []))
    response = client.get(url) if method == "get" else client.post(url, {})
    assert response.status_code == (get_status if method == "get" else post_status)
