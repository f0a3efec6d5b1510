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
    path("<int:meeting_id>/seance/", views.meeting_session, name="session"),
    path("<int:meeting_id>/seance/<int:number>/", views.meeting_session, name="session_item"),
    path(
        "<int:meeting_id>/seance/<int:number>/decision/",
        views.session_decision,
        name="session_decision",
    ),
    path(
        "<int:meeting_id>/seance/<int:number>/presence/",
        views.session_attendance,
        name="session_attendance",
    ),
    path("<int:meeting_id>/releve.pdf", views.minutes_pdf, name="minutes_pdf"),
    path("<int:meeting_id>/releve.docx", views.minutes_docx, name="minutes_docx"),
]
