from django.urls import path

from . import views

app_name = "renewals"

urlpatterns = [
    path("", views.renew, name="renew"),
]
