"""What the API reads: one QuerySet per list, built on the domains' rules (`for_user`,
`with_status`, `with_lateness`, `with_paid`, `with_overdue`), each read in a fixed number of
queries whatever the number of rows (tests/test_api.py guards them)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from actions.models import ActionSheet, Indicator, IndicatorValue, Step
from committees.models import Decision, Meeting
from conventions.models import Convention, StrategicObjective
from funding.models import FundingAmount, FundingLine, Payment


def last_change(model) -> Subquery:
    """The date of the row's latest history record (its last change), as a subquery."""
    records = model.history.model.objects.filter(id=OuterRef("pk"))
    return Subquery(records.order_by("-history_date").values("history_date")[:1])


def _count_of(queryset) -> Coalesce:
    counted = queryset.order_by().values("convention").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def conventions(user, today, filters):
    """The conventions `user` may read (`Convention.objects.for_user`, the pages' rule), with
    today's status, their counts and their last change."""
    rows = (
        Convention.objects.for_user(user)
        .with_status(today)
        .select_related("caf", "epci")
        .annotate(
            objective_count=_count_of(StrategicObjective.objects.filter(convention=OuterRef("pk"))),
            sheet_count=_count_of(ActionSheet.objects.active().filter(convention=OuterRef("pk"))),
            late_sheet_count=_count_of(
                ActionSheet.objects.active().overdue(today).filter(convention=OuterRef("pk"))
            ),
            updated_at=last_change(Convention),
        )
        .order_by("-start_year", "title", "pk")
    )
    if "status" in filters:
        rows = rows.filter(computed_status=filters["status"])
    if "caf" in filters:
        rows = rows.filter(caf_id=filters["caf"])
    if "updated_since" in filters:
        rows = rows.filter(updated_at__gte=filters["updated_since"])
    return rows


def objectives(convention):
    return convention.objectives.annotate(
        sheet_count=Count("action_sheets", filter=Q(action_sheets__archived_at__isnull=True))
    ).order_by("number")


def _pilots() -> Prefetch:
    people = get_user_model().objects.order_by("last_name", "first_name", "username")
    return Prefetch("pilots", queryset=people.only("pk", "first_name", "last_name", "username"))


def sheets(convention, today, filters=None):
    """The convention's sheets not archived (as the list page), each with `is_late`
    (`with_lateness`, the one rule) and `updated_at`, filtered like the page."""
    filters = filters or {}
    rows = (
        ActionSheet.objects.filter(convention=convention)
        .active()
        .with_lateness(today)
        .select_related("objective", "lead_partner")
        .prefetch_related(_pilots())
        .annotate(updated_at=last_change(ActionSheet))
        .order_by("number")
    )
    if "status" in filters:
        rows = rows.filter(status=filters["status"])
    if "objective" in filters:
        rows = rows.filter(objective__number=filters["objective"])
    if filters.get("late") is True:
        rows = rows.filter(is_late=True)
    elif filters.get("late") is False:
        rows = rows.filter(is_late=False)
    if "updated_since" in filters:
        rows = rows.filter(updated_at__gte=filters["updated_since"])
    return rows


def _values() -> Prefetch:
    return Prefetch("values", queryset=IndicatorValue.objects.order_by("measured_on"))


def sheet_detail(convention, today):
    """`sheets` with each sheet's steps and indicators (for one sheet's answer)."""
    steps = Step.objects.with_lateness(today).order_by("position", "due_on", "pk")
    indicators = Indicator.objects.order_by("pk").prefetch_related(_values())
    return sheets(convention, today).prefetch_related(
        Prefetch("steps", queryset=steps), Prefetch("indicators", queryset=indicators)
    )


def steps(convention, today):
    return (
        Step.objects.filter(sheet__convention=convention, sheet__archived_at__isnull=True)
        .with_lateness(today)
        .select_related("sheet")
        .order_by("sheet__number", "position", "due_on", "pk")
    )


def indicators(convention):
    return (
        Indicator.objects.filter(sheet__convention=convention, sheet__archived_at__isnull=True)
        .select_related("sheet")
        .prefetch_related(_values())
        .order_by("sheet__number", "pk")
    )


def funding(convention, filters):
    """The funding lines with their yearly planned amounts (`paid`: the counted payments,
    `with_paid`) and their payments, cancelled ones included and marked."""
    amounts = FundingAmount.objects.with_paid().order_by("year")
    lines = FundingLine.objects.filter(convention=convention)
    if "year" in filters:
        amounts = amounts.filter(year=filters["year"])
        lines = lines.filter(amounts__year=filters["year"])
    return (
        lines.select_related("funder", "structure")
        .prefetch_related(
            Prefetch("amounts", queryset=amounts),
            Prefetch("amounts__payments", queryset=Payment.objects.order_by("paid_on", "pk")),
        )
        .order_by("position", "pk")
    )


def meetings(convention, today, filters):
    """The convention's meetings (all of them, as its members see them), each with its
    decisions (`is_overdue`: `DecisionQuerySet.with_overdue`, the one rule)."""
    decisions = (
        Decision.objects.with_overdue(today)
        .order_by("pk")
        .prefetch_related(
            Prefetch("sheets", queryset=ActionSheet.objects.only("pk", "number").order_by("number"))
        )
    )
    rows = Meeting.objects.filter(convention=convention)
    if "kind" in filters:
        rows = rows.filter(kind=filters["kind"])
    if "year" in filters:
        rows = rows.filter(starts_at__year=filters["year"])
    return rows.prefetch_related(Prefetch("decisions", queryset=decisions)).order_by(
        "starts_at", "pk"
    )
