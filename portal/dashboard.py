"""The figures of a convention's dashboard, in a fixed number of queries.

A convention holds a few dozen sheets: they are loaded once, with their lateness, and every
count and average is taken from that list; funding comes from `funding_table` (two queries).
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from actions.models import ActionSheet, ProgressNote, Step
from conventions.models import Domain, StrategicObjective
from funding.reports import funding_table

UPCOMING_DAYS = 30


def average(values):
    values = list(values)
    if not values:
        return None
    return round(sum(values) / len(values))


@dataclass
class ProgressGroup:
    """Sheets gathered under an objective or a domain."""

    key: object  # the objective or the domain
    sheets: list = field(default_factory=list)

    @property
    def progress(self):
        return average(s.progress for s in self.sheets)

    @property
    def late(self):
        return sum(1 for s in self.sheets if s.is_late)


@dataclass
class Dashboard:
    convention: object
    today: datetime.date
    sheets: list
    objectives: list
    domains: list
    upcoming_steps: list
    notes: list
    funding: object

    @property
    def year(self):
        return self.convention.current_year(self.today)

    @property
    def period_over(self):
        return self.today.year > self.convention.end_year

    @property
    def period_not_started(self):
        return self.today.year < self.convention.start_year

    @property
    def status_counts(self):
        counts = Counter(s.status for s in self.sheets)
        return [(value, label, counts.get(value, 0)) for value, label in ActionSheet.Status.choices]

    @property
    def sheet_count(self):
        return len(self.sheets)

    @property
    def average_progress(self):
        return average(s.progress for s in self.sheets)

    @property
    def late_sheets(self):
        return [s for s in self.sheets if s.is_late]

    @property
    def year_index(self):
        return self.funding.years.index(self.year)

    @property
    def caf_this_year(self):
        return self.funding.caf.per_year[self.year_index]

    @property
    def caf_total(self):
        return self.funding.caf.total

    @property
    def lines_this_year(self):
        """(line, amount) for the current year, largest first."""
        rows = [(row.line, row.amounts[self.year_index]) for row in self.funding.rows]
        return sorted(rows, key=lambda pair: pair[1], reverse=True)

    @property
    def per_year(self):
        return list(
            zip(
                self.funding.years,
                self.funding.caf.per_year,
                self.funding.local.per_year,
                self.funding.per_year,
                strict=True,
            )
        )

    @property
    def by_objective(self):
        groups = {o.pk: ProgressGroup(o) for o in self.objectives}
        for sheet in self.sheets:
            groups[sheet.objective_id].sheets.append(sheet)
        return list(groups.values())

    @property
    def by_domain(self):
        groups = {d.pk: ProgressGroup(d) for d in self.domains}
        for sheet in self.sheets:
            for domain in sheet.domains.all():
                groups[domain.pk].sheets.append(sheet)
        return list(groups.values())

    @property
    def tree(self):
        """[(enjeu, [(objective, [sheets])])] in the convention's order.

        An objective serving several enjeux appears under each of them.
        """
        by_objective = {group.key.pk: group.sheets for group in self.by_objective}
        challenges = {}
        children = defaultdict(list)
        for objective in self.objectives:
            for challenge in objective.challenges.all():
                challenges[challenge.pk] = challenge
                children[challenge.pk].append((objective, by_objective[objective.pk]))
        ordered = sorted(challenges.values(), key=lambda c: (c.position, c.pk))
        tree = [(c, children[c.pk]) for c in ordered]
        orphans = [(o, by_objective[o.pk]) for o in self.objectives if not o.challenges.all()]
        if orphans:
            tree.append((None, orphans))
        return tree


def build_dashboard(convention, *, public=False, today=None):
    """Every figure of the dashboard. `public`: only publishable notes, no personal data."""
    today = today or timezone.localdate()
    sheets = list(
        ActionSheet.objects.active()
        .filter(convention=convention)
        .with_lateness(today)
        .prefetch_related(Prefetch("domains", queryset=Domain.objects.order_by("position")))
        .order_by("number")
    )
    objectives = list(
        StrategicObjective.objects.filter(convention=convention)
        .prefetch_related("challenges")
        .order_by("number")
    )
    domains = sorted(
        {d.pk: d for s in sheets for d in s.domains.all()}.values(),
        key=lambda d: (d.position, d.pk),
    )
    upcoming = list(
        Step.objects.filter(sheet__convention=convention)
        .upcoming(today, UPCOMING_DAYS)
        .select_related("sheet")
        .order_by("due_on", "pk")
    )
    notes = ProgressNote.objects.filter(
        sheet__convention=convention, sheet__archived_at__isnull=True
    )
    # The public page shows publishable notes only, and never their authors.
    notes = notes.publishable() if public else notes.select_related("author")
    notes = list(notes.select_related("sheet").order_by("-written_on", "-created_at")[:5])
    return Dashboard(
        convention=convention,
        today=today,
        sheets=sheets,
        objectives=objectives,
        domains=domains,
        upcoming_steps=upcoming,
        notes=notes,
        funding=funding_table(convention),
    )
