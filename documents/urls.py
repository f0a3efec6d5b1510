from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("ajouter/", views.document_add, name="add"),
    path("<int:pk>/telecharger/", views.document_download, name="download"),
    path("<int:pk>/supprimer/", views.document_delete, name="delete"),
]
