"""What the sheet pages read, as queries: views call these and render, nothing more."""

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, Value

from conventions.models import Challenge, Domain, Partner

from .models import ActionSheet, Indicator, IndicatorValue, ProgressNote, Step

PAGE_SIZE = 50


def sheet_page_of_list(convention, filters, today, page_number):
    """One page of the convention's sheets (not archived), filtered and sorted by `filters`."""
    sheets = (
        ActionSheet.objects.active()
        .filter(convention=convention)
        .with_lateness(today)
        .with_next_step()
        .select_related("objective")
        .prefetch_related("pilots")
    )
    return Paginator(filters.filter(sheets), PAGE_SIZE).get_page(page_number)


def steps_of(sheet, today):
    """The sheet's steps in order, each with `is_late`."""
    return list(Step.objects.filter(sheet=sheet).with_lateness(today))


def indicators_of(sheet):
    """The sheet's indicators with their values, oldest first."""
    values = IndicatorValue.objects.order_by("measured_on")
    return list(
        Indicator.objects.filter(sheet=sheet).prefetch_related(Prefetch("values", queryset=values))
    )


def notes_of(sheet):
    return list(
        ProgressNote.objects.filter(sheet=sheet)
        .select_related("author")
        .order_by("-written_on", "-created_at")
    )


def labels_of(sheet):
    """(enjeux, domains): the names of the enjeux the sheet serves through its objective and
    of its domains, each in the convention's order, in one query."""
    challenges = (
        Challenge.objects.filter(objectives=sheet.objective_id)
        .order_by()
        .annotate(kind=Value("challenge"))
        .values_list("kind", "title", "position", "pk")
    )
    domains = (
        Domain.objects.filter(action_sheets=sheet)
        .order_by()
        .annotate(kind=Value("domain"))
        .values_list("kind", "name", "position", "pk")
    )
    rows = sorted(challenges.union(domains, all=True), key=lambda row: (row[2], row[3]))
    return (
        [name for kind, name, _position, _pk in rows if kind == "challenge"],
        [name for kind, name, _position, _pk in rows if kind == "domain"],
    )


def partners_of(sheet):
    """(partners, communes concerned) of the sheet, in one query."""
    through_partners = ActionSheet.partners.through.objects.filter(
        actionsheet=sheet, partner=OuterRef("pk")
    )
    through_communes = ActionSheet.communes.through.objects.filter(
        actionsheet=sheet, partner=OuterRef("pk")
    )
    rows = list(
        Partner.objects.filter(Q(partner_action_sheets=sheet) | Q(commune_action_sheets=sheet))
        .annotate(is_partner=Exists(through_partners), is_commune=Exists(through_communes))
        .distinct()
        .order_by("name")
    )
    return [p for p in rows if p.is_partner], [p for p in rows if p.is_commune]
