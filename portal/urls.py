from django.urls import path

from . import views

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
    path("public/<slug:slug>/", views.public_dashboard, name="public"),
]
