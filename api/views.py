"""The read-only API's endpoints: DRF generic views, GET only (other methods 405), each first
finding the convention through `get_convention_access_or_404` — the pages' rule, so that a
convention the user may not read is a 404 here too, never a 403 that would reveal it."""

from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics

from actions.models import ActionSheet, Indicator, Step
from committees.models import Meeting
from conventions.models import Convention, StrategicObjective
from conventions.perms import get_convention_access_or_404
from funding.models import FundingLine

from . import filters, queries, serializers
from .authentication import refuse

SLUG = OpenApiParameter(
    "slug",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description=gettext_lazy("The convention's slug."),
)
NUMBER = OpenApiParameter(
    "number",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description=gettext_lazy("The sheet's number."),
)


class ApiView(generics.GenericAPIView):
    """What every endpoint shares: the filters validated by `filters_class` (400 with the
    parameter's error), and a missing token counted per address before its 401."""

    filters_class: type = filters.NoFilters
    model: type = Convention

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            refuse(
                request,
                exceptions.NotAuthenticated(
                    _("Send your API token as “Authorization: Bearer <token>”.")
                ),
            )
        super().permission_denied(request, message, code)

    @property
    def is_schema(self):
        return getattr(self, "swagger_fake_view", False)

    def filters(self, **context):
        params = self.filters_class(data=self.request.query_params.dict(), context=context)
        params.is_valid(raise_exception=True)
        return params.validated_data

    @property
    def today(self):
        return timezone.localdate()


class ConventionScoped(ApiView):
    @cached_property
    def access(self):
        return get_convention_access_or_404(self.request, self.kwargs["slug"])

    @property
    def convention(self):
        return self.access.convention

    def get_queryset(self):
        if self.is_schema:
            return self.model.objects.none()
        return self.rows()


@extend_schema(
    summary=gettext_lazy("The conventions you may read"),
    parameters=[filters.ConventionFilters],
)
class ConventionList(ApiView, generics.ListAPIView):
    serializer_class = serializers.ConventionSerializer
    filters_class = filters.ConventionFilters

    def get_queryset(self):
        if self.is_schema:
            return Convention.objects.none()
        return queries.conventions(self.request.user, self.today, self.filters())


@extend_schema(summary=gettext_lazy("A convention"), parameters=[SLUG])
class ConventionDetail(ConventionScoped, generics.RetrieveAPIView):
    serializer_class = serializers.ConventionSerializer

    def get_object(self):
        return queries.conventions(self.request.user, self.today, {}).get(pk=self.convention.pk)


@extend_schema(summary=gettext_lazy("The convention's strategic objectives"), parameters=[SLUG])
class ObjectiveList(ConventionScoped, generics.ListAPIView):
    serializer_class = serializers.ObjectiveSerializer
    model = StrategicObjective

    def rows(self):
        return queries.objectives(self.convention)


@extend_schema(
    summary=gettext_lazy("The convention's action sheets"),
    parameters=[SLUG, filters.SheetFilters],
)
class SheetList(ConventionScoped, generics.ListAPIView):
    serializer_class = serializers.SheetSerializer
    filters_class = filters.SheetFilters
    model = ActionSheet

    def rows(self):
        return queries.sheets(self.convention, self.today, self.filters())


@extend_schema(
    summary=gettext_lazy("An action sheet, with its steps and indicators"),
    parameters=[SLUG, NUMBER],
)
class SheetDetail(ConventionScoped, generics.RetrieveAPIView):
    serializer_class = serializers.SheetDetailSerializer
    model = ActionSheet

    def get_object(self):
        sheet = (
            queries.sheet_detail(self.convention, self.today)
            .filter(number=self.kwargs["number"])
            .first()
        )
        if sheet is None:
            raise exceptions.NotFound(_("No such action sheet."))
        return sheet


@extend_schema(summary=gettext_lazy("The steps of the convention's sheets"), parameters=[SLUG])
class StepList(ConventionScoped, generics.ListAPIView):
    serializer_class = serializers.StepSerializer
    model = Step

    def rows(self):
        return queries.steps(self.convention, self.today)


@extend_schema(
    summary=gettext_lazy("The indicators of the convention's sheets, with their values"),
    parameters=[SLUG],
)
class IndicatorList(ConventionScoped, generics.ListAPIView):
    serializer_class = serializers.IndicatorSerializer
    model = Indicator

    def rows(self):
        return queries.indicators(self.convention)


@extend_schema(
    summary=gettext_lazy("The funding lines, their yearly amounts and payments"),
    parameters=[SLUG, filters.FundingFilters],
)
class FundingList(ConventionScoped, generics.ListAPIView):
    serializer_class = serializers.FundingLineSerializer
    filters_class = filters.FundingFilters
    model = FundingLine

    def rows(self):
        return queries.funding(self.convention, self.filters(convention=self.convention))


@extend_schema(
    summary=gettext_lazy("The committees' meetings, with their decisions"),
    parameters=[SLUG, filters.MeetingFilters],
)
class MeetingList(ConventionScoped, generics.ListAPIView):
    serializer_class = serializers.MeetingSerializer
    filters_class = filters.MeetingFilters
    model = Meeting

    def rows(self):
        return queries.meetings(self.convention, self.today, self.filters())
