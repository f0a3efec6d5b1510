from django.urls import path

from . import views

app_name = "committees"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("nouvelle/", views.meeting_create, name="create"),
    path("<int:meeting_id>/", views.meeting_detail, name="detail"),
    path("<int:meeting_id>/modifier/", views.meeting_edit, name="edit"),
    path("<int:meeting_id>/decisions/", views.decision_add, name="decision_add"),
    path(
        "<int:meeting_id>/decisions/<int:decision_id>/modifier/",
        views.decision_edit,
        name="decision_edit",
    ),
    path(
        "<int:meeting_id>/decisions/<int:decision_id>/etat/",
        views.decision_state,
        name="decision_state",
    ),
]
