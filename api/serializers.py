"""The API's answers: English snake_case fields, the models' codes with a French `*_label`,
amounts as decimal strings. Read-only: nothing here saves."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from actions.models import ActionSheet, Indicator, IndicatorValue, Step
from committees.models import Decision, Meeting
from conventions.models import Convention, Partner, StrategicObjective
from ctg_portal.formatting import display_name
from funding.models import FundingAmount, FundingLine, Payment


class PartnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name", "kind", "siren", "insee_code"]


class ConventionSerializer(serializers.ModelSerializer):
    caf = PartnerSerializer(allow_null=True)
    epci = PartnerSerializer(allow_null=True)
    status = serializers.CharField(
        help_text=_("Today's status, computed from the dates and the renewal.")
    )
    status_label = serializers.CharField(source="get_status_display")
    objective_count = serializers.IntegerField()
    sheet_count = serializers.IntegerField()
    late_sheet_count = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = Convention
        fields = [
            "slug",
            "title",
            "territory",
            "department",
            "caf",
            "epci",
            "start_year",
            "end_year",
            "signed_on",
            "status",
            "status_label",
            "is_public",
            "objective_count",
            "sheet_count",
            "late_sheet_count",
            "updated_at",
        ]


class ObjectiveSerializer(serializers.ModelSerializer):
    sheet_count = serializers.IntegerField()

    class Meta:
        model = StrategicObjective
        fields = ["number", "title", "sheet_count"]


class ObjectiveRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = StrategicObjective
        fields = ["number", "title"]


class PilotNamesField(serializers.ListField):
    child = serializers.CharField()

    def to_representation(self, data):
        return [display_name(user) for user in data.all()]


class SheetSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    priority_label = serializers.CharField(source="get_priority_display")
    objective = ObjectiveRefSerializer()
    pilots = PilotNamesField(help_text=_("The pilots' names."))
    lead_partner = serializers.CharField(source="lead_partner.name", allow_null=True, default=None)
    is_late = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = ActionSheet
        fields = [
            "number",
            "title",
            "status",
            "status_label",
            "priority",
            "priority_label",
            "progress",
            "objective",
            "pilots",
            "lead_partner",
            "elected_referent",
            "planned_start",
            "planned_end",
            "is_late",
            "updated_at",
        ]


class StepSerializer(serializers.ModelSerializer):
    sheet_number = serializers.IntegerField(source="sheet.number")
    is_late = serializers.BooleanField()

    class Meta:
        model = Step
        fields = ["id", "sheet_number", "title", "position", "due_on", "done_on", "is_late"]


class SheetStepSerializer(StepSerializer):
    class Meta(StepSerializer.Meta):
        fields = ["id", "title", "position", "due_on", "done_on", "is_late"]


class IndicatorValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndicatorValue
        fields = ["measured_on", "value", "comment"]


class IndicatorSerializer(serializers.ModelSerializer):
    sheet_number = serializers.IntegerField(source="sheet.number")
    kind_label = serializers.CharField(source="get_kind_display")
    yearly_targets = serializers.DictField(child=serializers.CharField())
    values = IndicatorValueSerializer(many=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "sheet_number",
            "label",
            "unit",
            "kind",
            "kind_label",
            "baseline",
            "baseline_date",
            "target",
            "yearly_targets",
            "decimals",
            "values",
        ]


class SheetIndicatorSerializer(IndicatorSerializer):
    class Meta(IndicatorSerializer.Meta):
        fields = [f for f in IndicatorSerializer.Meta.fields if f != "sheet_number"]


class SheetDetailSerializer(SheetSerializer):
    steps = SheetStepSerializer(many=True)
    indicators = SheetIndicatorSerializer(many=True)

    class Meta(SheetSerializer.Meta):
        fields = [
            *SheetSerializer.Meta.fields,
            "description",
            "goals",
            "target_publics",
            "steps",
            "indicators",
        ]


class PaymentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    is_cancelled = serializers.BooleanField(help_text=_("A cancelled payment counts in no total."))

    class Meta:
        model = Payment
        fields = ["id", "amount", "paid_on", "kind", "kind_label", "is_cancelled"]


class AmountSerializer(serializers.ModelSerializer):
    paid = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text=_("The total of the payments not cancelled.")
    )
    payments = PaymentSerializer(many=True)

    class Meta:
        model = FundingAmount
        fields = ["year", "planned", "paid", "payments"]


class FundingLineSerializer(serializers.ModelSerializer):
    category_label = serializers.CharField(source="get_category_display")
    funder = PartnerSerializer()
    structure = serializers.CharField(source="structure.name", allow_null=True, default=None)
    amounts = AmountSerializer(many=True)

    class Meta:
        model = FundingLine
        fields = [
            "id",
            "label",
            "category",
            "category_label",
            "funder",
            "structure",
            "position",
            "amounts",
        ]


class SheetNumbersField(serializers.ListField):
    child = serializers.IntegerField()

    def to_representation(self, data):
        return [sheet.number for sheet in data.all()]


class DecisionSerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display")
    is_overdue = serializers.BooleanField()
    sheets = SheetNumbersField(help_text=_("The numbers of the sheets it concerns."))

    class Meta:
        model = Decision
        fields = ["id", "text", "state", "state_label", "due_on", "is_overdue", "sheets"]


class MeetingSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    state_label = serializers.CharField(source="get_state_display")
    decisions = DecisionSerializer(many=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "starts_at",
            "place",
            "state",
            "state_label",
            "is_public",
            "decisions",
        ]
