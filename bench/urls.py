"""The portal's URLs plus /bench/bare/, the baseline of bench/load.sh (never in the product)."""

from django.contrib.auth.decorators import login_required
from django.template import engines
from django.urls import include, path

BARE = engines["django"].from_string(
    '<!doctype html><html lang="fr"><head><title>Bare</title></head>'
    "<body><main><h1>Bonjour {{ user.username }}</h1><p>{{ now }}</p></main></body></html>"
)


@login_required
def bare(request):
    """A small template for the logged-in user: no query beyond the session and the user."""
    from django.http import HttpResponse
    from django.utils import timezone

    return HttpResponse(BARE.render({"user": request.user, "now": timezone.now()}, request))


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("ctg_portal.urls")),
]
