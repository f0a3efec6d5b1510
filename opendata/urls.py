"""The open-data page of a public convention and its files (no login), under
/public/<slug>/donnees/."""

from django.urls import path

from . import views

app_name = "opendata"

urlpatterns = [
    path("", views.page, name="page"),
    path("datapackage.json", views.datapackage, name="datapackage"),
    path("<slug:name>.csv", views.data_file, name="file"),
]
