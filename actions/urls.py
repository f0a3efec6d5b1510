from django.urls import path

import ctg_portal.converters  # noqa: F401  (registers <exportformat:…>)

from . import views

app_name = "actions"

urlpatterns = [
    path("", views.sheet_list, name="list"),
    path("nouvelle/", views.sheet_create, name="create"),
    path("export.<exportformat:fmt>", views.sheet_export, name="export"),
    path("<int:number>/", views.sheet_detail, name="detail"),
    path("<int:number>/modifier/", views.sheet_edit, name="edit"),
    path("<int:number>/archiver/", views.sheet_archive, name="archive"),
    path("<int:number>/notes/", views.note_add, name="note_add"),
    path("<int:number>/etapes/<int:step_id>/terminer/", views.step_done, name="step_done"),
    path(
        "<int:number>/indicateurs/<int:indicator_id>/valeurs/",
        views.value_add,
        name="value_add",
    ),
]
