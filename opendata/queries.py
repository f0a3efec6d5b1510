"""What the open data reads: the public convention, the stamp of its last change, and the rows of
each file — a fixed number of queries whatever the number of sheets, and only what the public
may read (no person's name, e-mail, note, comment, attendance or minutes)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Max, OuterRef, Prefetch, Subquery, Sum

from actions.models import ActionSheet, Indicator, IndicatorValue, Step
from committees.models import Meeting
from conventions.models import Convention, Domain, StrategicObjective
from funding.models import FundingAmount, FundingLine, Payment

# The models whose history records (django-simple-history) date the convention's last change,
# with the path from a history record to the convention.
DATED = (
    (Convention, "id"),
    (ActionSheet, "convention_id"),
    (Step, "sheet__convention_id"),
    (Indicator, "sheet__convention_id"),
    (FundingLine, "convention_id"),
    (FundingAmount, "line__convention_id"),
    (Payment, "funding_amount__line__convention_id"),
    (Meeting, "convention_id"),
)


def public_convention(slug: str) -> Convention | None:
    """The convention at `slug` if it is public, else None (also for members: the open data
    is the public's)."""
    return (
        Convention.objects.filter(slug=slug, is_public=True)
        .select_related("caf", "epci")
        .only(
            "pk",
            "slug",
            "title",
            "territory",
            "start_year",
            "end_year",
            "department",
            "caf__name",
            "epci__name",
            "epci__siren",
        )
        .first()
    )


@dataclass(frozen=True)
class Stamp:
    """The convention's last update (the latest history record of its data: None without any)
    and a fingerprint of what has no history (indicator values, objectives): two stamps differ
    whenever a file could."""

    last_update: datetime.datetime | None
    fingerprint: tuple

    @property
    def key(self) -> str:
        moment = self.last_update.isoformat() if self.last_update else "-"
        return f"{moment}|{'|'.join(str(part) for part in self.fingerprint)}"


def _latest(model, path: str) -> Subquery:
    records = model.history.model.objects.filter(**{path: OuterRef("pk")})
    return Subquery(records.order_by("-history_date").values("history_date")[:1])


def _aggregate(queryset, path: str, name: str, expression) -> Subquery:
    rows = queryset.filter(**{path: OuterRef("pk")}).order_by().values(path)
    return Subquery(rows.annotate(**{name: expression}).values(name)[:1])


def stamp_of(convention: Convention) -> Stamp:
    """One query: the latest history record of each dated model and the fingerprint."""
    values = IndicatorValue.objects.all()
    objectives = StrategicObjective.objects.all()
    path = "indicator__sheet__convention_id"
    annotations = {f"h{i}": _latest(model, p) for i, (model, p) in enumerate(DATED)}
    annotations |= {
        "fp_values_count": _aggregate(values, path, "n", Count("pk")),
        "fp_values_max": _aggregate(values, path, "m", Max("pk")),
        "fp_values_sum": _aggregate(values, path, "s", Sum("value")),
        "fp_values_dates": _aggregate(values, path, "d", Max("measured_on")),
        "fp_objectives_count": _aggregate(objectives, "convention_id", "n", Count("pk")),
        "fp_objectives_max": _aggregate(objectives, "convention_id", "m", Max("pk")),
    }
    row = Convention.objects.filter(pk=convention.pk).values(**annotations).get()
    dates = [row[f"h{i}"] for i in range(len(DATED)) if row[f"h{i}"] is not None]
    fingerprint = tuple(value for name, value in row.items() if name.startswith("fp_"))
    return Stamp(max(dates) if dates else None, fingerprint)


def joined(names: Iterator[str] | list[str]) -> str:
    return " ; ".join(names)


def objectives(convention: Convention):
    """Three queries: the objectives with their challenges and domains."""
    return (
        StrategicObjective.objects.filter(convention=convention)
        .only("pk", "convention_id", "number", "title")
        .prefetch_related(
            Prefetch("challenges", to_attr="challenge_list"),
            Prefetch("domains", queryset=Domain.objects.only("pk", "name"), to_attr="domain_list"),
        )
        .order_by("number")
    )


def sheets(convention: Convention, today: datetime.date):
    """Two queries: the active sheets with their lateness (ActionSheetQuerySet.with_lateness,
    nothing late once the period is over), objective, lead partner and domains."""
    return (
        ActionSheet.objects.active()
        .filter(convention=convention)
        .with_lateness(today)
        .select_related("objective", "lead_partner")
        .only(
            "pk",
            "number",
            "title",
            "status",
            "priority",
            "progress",
            "planned_start",
            "planned_end",
            "objective__number",
            "lead_partner__name",
        )
        .prefetch_related(
            Prefetch("domains", queryset=Domain.objects.only("pk", "name"), to_attr="domain_list")
        )
        .order_by("number")
    )


def funding_amounts(convention: Convention):
    """One query: every yearly amount of the convention's lines with what was paid on it
    (FundingAmountQuerySet.with_paid: counted payments only)."""
    return (
        FundingAmount.objects.filter(line__convention=convention)
        .with_paid()
        .only("pk", "line", "year", "planned")
        .order_by()
    )


def funding_lines(convention: Convention):
    """One query: the lines, for the years of the period without an amount."""
    return (
        FundingLine.objects.filter(convention=convention)
        .select_related("funder", "structure")
        .only(
            "pk",
            "label",
            "category",
            "position",
            "funder__name",
            "funder__kind",
            "structure__name",
        )
        .order_by("position", "pk")
    )


def indicators(convention: Convention):
    """One query: the indicators of the active sheets (no source text, no yearly comment)."""
    return (
        Indicator.objects.filter(sheet__convention=convention, sheet__archived_at__isnull=True)
        .select_related("sheet")
        .only(
            "pk",
            "label",
            "unit",
            "kind",
            "baseline",
            "baseline_date",
            "target",
            "sheet__number",
        )
        .order_by("sheet__number", "pk")
    )


def indicator_values(convention: Convention):
    """One query: the measured values (never their comments)."""
    return (
        IndicatorValue.objects.filter(
            indicator__sheet__convention=convention,
            indicator__sheet__archived_at__isnull=True,
        )
        .values("indicator_id", "measured_on", "value")
        .order_by("indicator_id", "measured_on")
    )


def publishable_meetings(convention: Convention):
    """One query: the meetings the public page may show — the committees' own rule
    (publishable and not cancelled, as portal.dashboard.public_steering_of) — without
    attendance, minutes or decisions' owners."""
    return (
        Meeting.objects.filter(convention=convention, is_public=True)
        .not_cancelled()
        .only("pk", "convention", "kind", "title", "starts_at", "place", "state")
        .order_by("starts_at", "pk")
    )
