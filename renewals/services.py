"""The renewal of a convention: one transaction that creates its successor, "en projet", with
what the coordinator chose to carry over (enjeux, objectives, domains, running sheets with their
open steps and indicators, members, signatories, funding lines with their planned amounts).

Everything is written in bulk (with the history records of the models that keep one), so that
a convention of 300 sheets renews in a few seconds (`bench/renewal.py`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history  # type: ignore[import-untyped]

from actions.models import ActionSheet, Indicator, Step, link_history_models
from conventions.models import (
    Challenge,
    Convention,
    Domain,
    Membership,
    Signatory,
    StrategicObjective,
)
from funding.models import FundingAmount, FundingLine, Structure

from .queries import last_values, new_numbers, preview, source_of, within

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class Choices:
    """What the wizard decided: the new convention (step 1) and what carries over (step 2).
    Ids are those of the old convention's rows (partners for the signatories)."""

    start_year: int
    end_year: int
    title: str
    slug: str
    territory: str
    epci_id: int | None
    signatory_ids: frozenset[int]
    challenge_ids: frozenset[int]
    objective_ids: frozenset[int]
    domain_ids: frozenset[int]
    sheet_ids: frozenset[int]
    renumber: bool
    indicator_ids: frozenset[int]
    membership_ids: frozenset[int]
    line_ids: frozenset[int]
    amounts: dict[int, dict[int, Decimal]]  # {line id: {new year: planned}}


class ChangedSincePreview(Exception):
    """What the renewal would write differs from the preview the user confirmed."""


class AlreadyRenewed(Exception):
    """The convention has a successor already (found under its row lock)."""

    def __init__(self, successor: Convention) -> None:
        super().__init__(successor.slug)
        self.successor = successor


def renewed_by(successor: Convention) -> Any:
    """The user who created `successor` (its first history record), or None."""
    first = successor.history.order_by("history_date", "history_id").first()
    return first.history_user if first is not None else None


def renew(
    old: Convention, choices: Choices, user: User, fingerprint: str | None = None
) -> Convention:
    """Create the successor of `old` as `choices` say, in one transaction; returns it.

    Raises AlreadyRenewed when `old` has a successor already. Two renewals at once: the second
    waits on the old convention's row lock, then finds the successor; where no lock is held
    (SQLite), the unique `predecessor` refuses the second insert (IntegrityError). With the
    `fingerprint` of the preview the user confirmed, raises ChangedSincePreview when what
    would be written differs from it (read again under the lock).
    """
    with transaction.atomic():
        old = Convention.objects.select_for_update().get(pk=old.pk)
        existing = Convention.objects.filter(predecessor=old).first()
        if existing is not None:
            raise AlreadyRenewed(existing)
        if fingerprint is not None:
            now = preview(source_of(old), choices).fingerprint()
            if now != fingerprint:
                raise ChangedSincePreview
        return Renewal(old, choices, user).run()


class Renewal:
    """The writes of one renewal, in order: each kind in bulk, mapping old ids to new rows."""

    def __init__(self, old: Convention, choices: Choices, user: User) -> None:
        self.old, self.choices, self.user = old, choices, user
        self.history = {"default_user": user, "default_date": timezone.now()}

    def run(self) -> Convention:
        self.new = self.create_convention()
        self.copy_frame()
        self.copy_people()
        self.copy_sheets()
        self.copy_funding()
        return self.new

    def create_convention(self) -> Convention:
        old, choices = self.old, self.choices
        new = Convention(
            slug=choices.slug,
            title=choices.title,
            territory=choices.territory,
            epci_id=choices.epci_id,
            start_year=choices.start_year,
            end_year=choices.end_year,
            signed_on=None,
            predecessor=old,
            caf_id=old.caf_id,
            department=old.department,
            is_public=False,
            has_demo_data=old.has_demo_data,
        )
        new._history_user = self.user  # type: ignore[attr-defined]
        new.save()
        return new

    def copy_frame(self) -> None:
        """Enjeux, domains and objectives, with the objectives' links to the carried ones."""
        old, new, choices = self.old, self.new, self.choices
        challenges = list(old.challenges.filter(pk__in=choices.challenge_ids))
        created = Challenge.objects.bulk_create(
            [Challenge(convention=new, title=c.title, position=c.position) for c in challenges]
        )
        self.challenges = {c.pk: n for c, n in zip(challenges, created, strict=True)}
        domains = list(old.domains.filter(pk__in=choices.domain_ids))
        created_domains = Domain.objects.bulk_create(
            [Domain(convention=new, name=d.name, position=d.position) for d in domains]
        )
        self.domains = {d.pk: n for d, n in zip(domains, created_domains, strict=True)}
        objectives = list(
            old.objectives.filter(pk__in=choices.objective_ids).prefetch_related(
                "challenges", "domains"
            )
        )
        created_objectives = StrategicObjective.objects.bulk_create(
            [StrategicObjective(convention=new, number=o.number, title=o.title) for o in objectives]
        )
        self.objectives = {o.pk: n for o, n in zip(objectives, created_objectives, strict=True)}
        challenge_links, domain_links = [], []
        through_challenges = StrategicObjective.challenges.through
        through_domains = StrategicObjective.domains.through
        for objective in objectives:
            target = self.objectives[objective.pk]
            challenge_links += [
                through_challenges(
                    strategicobjective=target, challenge=self.challenges[challenge.pk]
                )
                for challenge in objective.challenges.all()
                if challenge.pk in self.challenges
            ]
            domain_links += [
                through_domains(strategicobjective=target, domain=self.domains[domain.pk])
                for domain in objective.domains.all()
                if domain.pk in self.domains
            ]
        through_challenges.objects.bulk_create(challenge_links)
        through_domains.objects.bulk_create(domain_links)

    def copy_people(self) -> None:
        """Members (with their roles) and signatories (not signed yet)."""
        old, new, choices = self.old, self.new, self.choices
        memberships = old.memberships.filter(pk__in=choices.membership_ids)
        created = Membership.objects.bulk_create(
            [Membership(convention=new, user_id=m.user_id, role=m.role) for m in memberships]
        )
        self.member_ids = {m.user_id for m in created}
        signatories = old.signatory_set.filter(partner_id__in=choices.signatory_ids)
        Signatory.objects.bulk_create(
            [Signatory(convention=new, partner_id=s.partner_id) for s in signatories]
        )

    def copy_sheets(self) -> None:
        """The carried sheets, to be launched again, with their links, open steps and chosen
        indicators; their history records the sheet as created, links included."""
        old, new, choices = self.old, self.new, self.choices
        olds = list(
            old.action_sheets.active()
            .filter(pk__in=choices.sheet_ids)
            .prefetch_related("domains", "pilots", "partners", "communes")
            .order_by("number")
        )
        missing = [s.number for s in olds if s.objective_id not in self.objectives]
        if missing:
            raise ChangedSincePreview
        numbers = new_numbers(olds, choices.renumber)
        sheets = ActionSheet.objects.bulk_create(
            [
                ActionSheet(
                    convention=new,
                    number=numbers[sheet.pk],
                    title=sheet.title,
                    objective=self.objectives[sheet.objective_id],
                    description=sheet.description,
                    goals=sheet.goals,
                    target_publics=sheet.target_publics,
                    lead_partner_id=sheet.lead_partner_id,
                    elected_referent=sheet.elected_referent,
                    status=ActionSheet.Status.TODO,
                    priority=sheet.priority,
                    progress=0,
                    planned_start=None,
                    planned_end=None,
                    predecessor=sheet,
                )
                for sheet in olds
            ]
        )
        self.sheets = {o.pk: n for o, n in zip(olds, sheets, strict=True)}
        links = self.copy_sheet_links(olds)
        records = ActionSheet.history.bulk_history_create(sheets, **self.history)
        self.record_links(records, links)
        self.copy_steps()
        self.copy_indicators()

    def copy_sheet_links(self, olds: list[ActionSheet]) -> dict[str, list[Any]]:
        """The sheets' links (domains among the carried ones, pilots among the carried
        members, partners, communes): {field: the through rows created}."""
        wanted: dict[str, list[tuple[ActionSheet, int]]] = defaultdict(list)
        for old_sheet in olds:
            sheet = self.sheets[old_sheet.pk]
            wanted["domains"] += [
                (sheet, self.domains[d.pk].pk)
                for d in old_sheet.domains.all()
                if d.pk in self.domains
            ]
            wanted["pilots"] += [
                (sheet, u.pk) for u in old_sheet.pilots.all() if u.pk in self.member_ids
            ]
            wanted["partners"] += [(sheet, p.pk) for p in old_sheet.partners.all()]
            wanted["communes"] += [(sheet, p.pk) for p in old_sheet.communes.all()]
        created = {}
        for name, pairs in wanted.items():
            relation = ActionSheet._meta.get_field(name)
            through = relation.remote_field.through  # type: ignore[union-attr]
            target = relation.m2m_reverse_field_name()  # type: ignore[union-attr]
            created[name] = through.objects.bulk_create(
                [through(actionsheet=sheet, **{f"{target}_id": pk}) for sheet, pk in pairs]
            )
        return created

    def record_links(self, records: list[Any], links: dict[str, list[Any]]) -> None:
        """The link rows of the sheets' first history records (what simple-history writes for
        a sheet saved with its links; bulk_history_create leaves them out)."""
        record_of = {record.id: record for record in records}
        for name, rows in links.items():
            model = link_history_models()[name]
            target = ActionSheet._meta.get_field(name).m2m_reverse_field_name()  # type: ignore[union-attr]
            model.objects.bulk_create(
                [
                    model(
                        id=row.pk,
                        history=record_of[row.actionsheet_id],
                        actionsheet_id=row.actionsheet_id,
                        **{f"{target}_id": getattr(row, f"{target}_id")},
                    )
                    for row in rows
                ]
            )

    def copy_steps(self) -> None:
        """The steps not done, in their order; a due date outside the new period is dropped."""
        first, last = self.new.first_day, self.new.last_day
        steps = Step.objects.filter(sheet_id__in=self.sheets, done_on__isnull=True).order_by(
            "sheet_id", "position", "pk"
        )
        bulk_create_with_history(
            [
                Step(
                    sheet=self.sheets[step.sheet_id],
                    title=step.title,
                    position=step.position,
                    due_on=step.due_on if within(step.due_on, first, last) else None,
                )
                for step in steps
            ],
            Step,
            **self.history,
        )

    def copy_indicators(self) -> None:
        """The chosen indicators of the carried sheets: the old last measured value becomes the
        baseline (with its date); without one, the old baseline stays. No values, no yearly
        targets: the new period's are set on the sheet."""
        indicators = list(
            Indicator.objects.filter(
                sheet_id__in=self.sheets, pk__in=self.choices.indicator_ids
            ).order_by("sheet_id", "pk")
        )
        measured = last_values([i.pk for i in indicators])
        source = _("value measured in the previous convention")
        copies = []
        for indicator in indicators:
            baseline = (indicator.baseline, indicator.baseline_date, indicator.baseline_source)
            if indicator.pk in measured:
                value, day = measured[indicator.pk]
                baseline = (value, day, source)
            copies.append(
                Indicator(
                    sheet=self.sheets[indicator.sheet_id],
                    label=indicator.label,
                    unit=indicator.unit,
                    kind=indicator.kind,
                    decimals=indicator.decimals,
                    target=indicator.target,
                    baseline=baseline[0],
                    baseline_date=baseline[1],
                    baseline_source=baseline[2],
                    yearly_targets={},
                )
            )
        bulk_create_with_history(copies, Indicator, **self.history)

    def copy_funding(self) -> None:
        """The chosen lines (with copies of their structures) and their planned amounts per
        new year; no payment."""
        new, choices = self.new, self.choices
        lines = list(
            self.old.funding_lines.filter(pk__in=choices.line_ids)
            .select_related("structure")
            .order_by("position", "pk")
        )
        structures = {line.structure.pk: line.structure for line in lines if line.structure}
        created = Structure.objects.bulk_create(
            [
                Structure(
                    convention=new,
                    name=s.name,
                    kind=s.kind,
                    operator_id=s.operator_id,
                    commune_id=s.commune_id,
                )
                for s in structures.values()
            ]
        )
        structure_of = dict(zip(structures, created, strict=True))
        copies = bulk_create_with_history(
            [
                FundingLine(
                    convention=new,
                    label=line.label,
                    structure=structure_of.get(line.structure_id) if line.structure_id else None,
                    category=line.category,
                    funder_id=line.funder_id,
                    position=line.position,
                )
                for line in lines
            ],
            FundingLine,
            **self.history,
        )
        bulk_create_with_history(
            [
                FundingAmount(line=copy, year=year, planned=choices.amounts[line.pk][year])
                for line, copy in zip(lines, copies, strict=True)
                for year in new.years
            ],
            FundingAmount,
            **self.history,
        )
