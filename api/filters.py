"""The query parameters of the API's lists, validated by serializers: an unknown value or a
malformed date is a 400 with the parameter's French error, and the schema documents each."""

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from actions.models import ActionSheet
from committees.models import Meeting
from conventions.models import MAX_YEAR, MIN_YEAR, Convention


@extend_schema_field(OpenApiTypes.STR)
class MomentField(serializers.Field):
    """An ISO date (midnight, Paris time) or an ISO 8601 date and time (Paris time without
    an offset), as an aware datetime."""

    default_error_messages = {
        "invalid": _("Enter an ISO date (2025-11-28) or date and time (2025-11-28T14:30:00).")
    }

    def to_internal_value(self, data):
        text = str(data).strip()
        try:
            moment = parse_datetime(text)
            if moment is None:
                day = parse_date(text)
                if day is None:
                    self.fail("invalid")
                moment = datetime.datetime.combine(day, datetime.time())
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            moment.astimezone(datetime.UTC)  # refuses what the database could not hold
        except (ValueError, OverflowError):
            self.fail("invalid")
        return moment

    def to_representation(self, value):
        return value.isoformat()


UPDATED_SINCE = _("Only what changed at or after this date (ISO date or date and time).")


class ConventionFilters(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Convention.Status.choices, required=False, help_text=_("The status today.")
    )
    caf = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text=_("The CAF's identifier (`caf.id` in the answers)."),
    )
    updated_since = MomentField(required=False, help_text=UPDATED_SINCE)


class SheetFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionSheet.Status.choices, required=False)
    objective = serializers.IntegerField(
        min_value=1,
        max_value=32767,
        required=False,
        help_text=_("The strategic objective's number."),
    )
    late = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("true: the late sheets only; false: those not late."),
    )
    updated_since = MomentField(required=False, help_text=UPDATED_SINCE)


class YearField(serializers.IntegerField):
    def __init__(self, **kwargs):
        super().__init__(min_value=MIN_YEAR, max_value=MAX_YEAR, required=False, **kwargs)


class FundingFilters(serializers.Serializer):
    year = YearField(help_text=_("Only this year's amounts (a year of the convention)."))

    def validate_year(self, value):
        convention = self.context["convention"]
        if value not in convention.years:
            raise serializers.ValidationError(
                _("Choose a year of the convention (%(start)s to %(end)s).")
                % {"start": convention.start_year, "end": convention.end_year}
            )
        return value


class MeetingFilters(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Meeting.Kind.choices, required=False)
    year = YearField(help_text=_("Only the meetings of this year."))


class NoFilters(serializers.Serializer):
    pass
