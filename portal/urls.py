from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("conventions/", views.overview, name="overview"),
    path("conventions/<slug:slug>/", views.dashboard, name="dashboard"),
    path("public/<slug:slug>/", views.public_dashboard, name="public"),
]
