from django.urls import path

import ctg_portal.converters  # noqa: F401  (registers <exportformat:…>)

from . import views

app_name = "funding"

urlpatterns = [
    path("", views.table, name="table"),
    path("export.<exportformat:fmt>", views.export, name="export"),
    path("montants/", views.amounts_edit, name="amounts"),
    path("versements/", views.payment_add, name="payment_add"),
    path("versements/<int:pk>/", views.payment_detail, name="payment"),
    path("versements/<int:pk>/corriger/", views.payment_correct, name="payment_correct"),
    path("versements/<int:pk>/annuler/", views.payment_cancel, name="payment_cancel"),
    path("import/", views.import_upload, name="import"),
    path("import/confirmer/", views.import_confirm, name="import_confirm"),
]
