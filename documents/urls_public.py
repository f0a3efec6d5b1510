"""The public page's documents: publishable files of a published convention, no login
(included under public/<slug>/documents/)."""

from django.urls import path

from . import views

app_name = "public_documents"

urlpatterns = [
    path("<int:pk>/telecharger/", views.public_document_download, name="download"),
]
