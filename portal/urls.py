from django.urls import path

from . import members, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("conventions/", views.overview, name="overview"),
    path("conventions/<slug:slug>/", views.dashboard, name="dashboard"),
    # The printouts for the steering committee: a print page and the same as a PDF.
    path(
        "conventions/<slug:slug>/impression/", views.dashboard_printout, name="dashboard_printout"
    ),
    path("conventions/<slug:slug>/impression.pdf", views.dashboard_pdf, name="dashboard_pdf"),
    path(
        "conventions/<slug:slug>/fiches/<int:number>/impression/",
        views.sheet_printout,
        name="sheet_printout",
    ),
    path(
        "conventions/<slug:slug>/fiches/<int:number>/impression.pdf",
        views.sheet_pdf,
        name="sheet_pdf",
    ),
    path("conventions/<slug:slug>/publication/", views.publication, name="publication"),
    # The members and their invitations (portal/members.py).
    path("conventions/<slug:slug>/membres/", members.members, name="members"),
    path("conventions/<slug:slug>/membres/inviter/", members.member_invite, name="member_invite"),
    path("conventions/<slug:slug>/membres/modifier/", members.member_change, name="member_change"),
    path("conventions/<slug:slug>/membres/retirer/", members.member_remove, name="member_remove"),
    path(
        "conventions/<slug:slug>/membres/invitations/renvoyer/",
        members.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "conventions/<slug:slug>/membres/invitations/revoquer/",
        members.invitation_revoke,
        name="invitation_revoke",
    ),
    path("conventions/<slug:slug>/membres/<int:user_id>/", members.member, name="member"),
    path("public/<slug:slug>/", views.public_dashboard, name="public"),
]
