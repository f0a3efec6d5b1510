"""The user's own account and the password reset (open to anonymous visitors)."""

from django.urls import path

from . import account_views as views

app_name = "account"

urlpatterns = [
    path("compte/", views.home, name="home"),
    path("compte/profil/", views.profile, name="profile"),
    path("compte/mot-de-passe/", views.password, name="password"),
    path("compte/notifications/", views.notifications, name="notifications"),
    path("mot-de-passe/oublie/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe/oublie/envoye/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
