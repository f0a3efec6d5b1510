from django.urls import path

from . import views

app_name = "evaluations"

urlpatterns = [
    path("", views.evaluation_detail, name="detail"),
    path("modifier/", views.evaluation_edit, name="edit"),
    path("objectifs/<int:number>/", views.objective_edit, name="objective"),
]
