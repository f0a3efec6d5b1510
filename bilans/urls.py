from django.urls import path

from . import views

app_name = "bilans"

urlpatterns = [
    path("", views.bilan_index, name="index"),
    path("<int:year>/", views.bilan_year, name="year"),
    path("<int:year>/bilan.pdf", views.report_pdf, name="report_pdf"),
    path("<int:year>/bilan.docx", views.report_docx, name="report_docx"),
    path("<int:year>/bilan.xlsx", views.report_xlsx, name="report_xlsx"),
    path("<int:year>/fiches/<int:number>/", views.sheet_review, name="review"),
    path("<int:year>/fiches/<int:number>/valider/", views.review_validate, name="validate"),
    path("<int:year>/fiches/<int:number>/rouvrir/", views.review_reopen, name="reopen"),
]
