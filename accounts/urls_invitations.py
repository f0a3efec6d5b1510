from django.urls import path

from . import invitation_views

app_name = "invitations"

urlpatterns = [
    path("invitation/<str:token>/", invitation_views.accept, name="accept"),
]
