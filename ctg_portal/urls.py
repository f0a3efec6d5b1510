"""The URLconf: each app's pages under its own prefix (apps are included by name)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("connexion/", auth_views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls_account")),
    path("", include("accounts.urls_invitations")),
    path("", include("portal.urls")),
    path("conventions/<slug:slug>/fiches/", include("actions.urls")),
    path("conventions/<slug:slug>/financements/", include("funding.urls")),
    path("conventions/<slug:slug>/instances/", include("committees.urls")),
    path("conventions/<slug:slug>/documents/", include("documents.urls")),
    path("conventions/<slug:slug>/bilans/", include("bilans.urls")),
    path("conventions/<slug:slug>/evaluation/", include("evaluations.urls")),
    path("conventions/<slug:slug>/renouveler/", include("renewals.urls")),
    # The public page's publishable files: no login, beside the page (portal:public).
    path("public/<slug:slug>/documents/", include("documents.urls_public")),
    # The calendar feeds: /calendrier/<token>.ics, /public/<slug>/instances.ics and the
    # account page's regeneration.
    path("", include("feeds.urls")),
    # The open data of a public convention: /public/<slug>/donnees/ and its files.
    path("public/<slug:slug>/donnees/", include("opendata.urls")),
    # The read-only API for members' tools.
    path("api/v1/", include("api.urls")),
    # The account page's API tokens: /compte/api/jetons/…
    path("compte/api/", include("api.urls_account")),
    path("admin/", admin.site.urls),
]
