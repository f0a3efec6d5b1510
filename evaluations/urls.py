from django.urls import path

from . import views

app_name = "evaluations"

urlpatterns = [
    path("", views.evaluation_detail, name="detail"),
    path("evaluation.pdf", views.report_pdf, name="report_pdf"),
    path("evaluation.docx", views.report_docx, name="report_docx"),
    path("evaluation.xlsx", views.report_xlsx, name="report_xlsx"),
    path("modifier/", views.evaluation_edit, name="edit"),
    path("objectifs/<int:number>/", views.objective_edit, name="objective"),
]
