from django.urls import path

from . import views

app_name = "bilans"

urlpatterns = [
    path("", views.bilan_index, name="index"),
    path("<int:year>/", views.bilan_year, name="year"),
    path("<int:year>/fiches/<int:number>/", views.sheet_review, name="review"),
    path("<int:year>/fiches/<int:number>/valider/", views.review_validate, name="validate"),
    path("<int:year>/fiches/<int:number>/rouvrir/", views.review_reopen, name="reopen"),
]
