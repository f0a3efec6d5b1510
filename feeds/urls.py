"""The calendar feeds: a person's at a secret address (no login: the address is the
credential), the public one of a public convention, and the account page's regeneration."""

from django.urls import path, re_path

from . import views

app_name = "feeds"

urlpatterns = [
    # Only a token's own characters reach the view; anything else is the resolver's 404.
    re_path(r"^calendrier/(?P<token>[A-Za-z0-9_-]{1,64})\.ics$", views.personal, name="personal"),
    path("public/<slug:slug>/instances.ics", views.public, name="public"),
    path("compte/calendrier/regenerer/", views.regenerate, name="regenerate"),
]
