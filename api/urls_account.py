"""The account page's API tokens, under /compte/api/ (ctg_portal/urls.py)."""

from django.urls import path

from . import views_account

app_name = "api_account"

urlpatterns = [
    path("jetons/creer/", views_account.create, name="create"),
    path("jetons/<int:pk>/revoquer/", views_account.revoke, name="revoke"),
]
