"""The read-only API, /api/v1/: its endpoints, schema and documentation."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.permissions import AllowAny

from . import views, views_docs

app_name = "api"

CONVENTION = "conventions/<slug:slug>/"

urlpatterns = [
    path("conventions/", views.ConventionList.as_view(), name="conventions"),
    path(CONVENTION, views.ConventionDetail.as_view(), name="convention"),
    path(f"{CONVENTION}objectives/", views.ObjectiveList.as_view(), name="objectives"),
    path(f"{CONVENTION}sheets/", views.SheetList.as_view(), name="sheets"),
    path(f"{CONVENTION}sheets/<int:number>/", views.SheetDetail.as_view(), name="sheet"),
    path(f"{CONVENTION}steps/", views.StepList.as_view(), name="steps"),
    path(f"{CONVENTION}indicators/", views.IndicatorList.as_view(), name="indicators"),
    path(f"{CONVENTION}funding/", views.FundingList.as_view(), name="funding"),
    path(f"{CONVENTION}meetings/", views.MeetingList.as_view(), name="meetings"),
    # The schema and its page are public: they describe the API, not any convention's data.
    path(
        "schema.json",
        SpectacularJSONAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
    path("docs/", views_docs.docs, name="docs"),
]
