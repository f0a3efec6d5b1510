"""The renewal wizard's forms: the new convention (step 1), what carries over (step 2) and the
confirmation's one-time token. The wizard keeps no state on the server: every step posts the
choices of the steps before it, validated again each time."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext_lazy as _

from conventions.models import MAX_CONVENTION_YEARS, MAX_YEAR, MIN_YEAR, Convention, Membership
from ctg_portal.fields import FrenchDecimalField
from ctg_portal.forms import OnceForm
from ctg_portal.text import search_key
from ctg_portal.validators import no_control_characters

from .services import Choices

# A posted id as the boxes are re-ticked from: ASCII digits only ("²" is a digit to Python).
AN_ID = re.compile(r"[0-9]{1,18}")

if TYPE_CHECKING:
    from django.http import QueryDict

    from .queries import Source

# The range is checked in clean(), with the model's French message.
YEARS_MESSAGE = _("Enter a year between 2000 and 2100.")


def default_period(old: Convention) -> tuple[int, int]:
    """The year after the old last year, for as many years as the old one (five at most)."""
    length = min(old.end_year - old.start_year + 1, MAX_CONVENTION_YEARS)
    start = old.end_year + 1
    return start, start + length - 1


def years_suffix(start: int, end: int) -> str:
    return f"{start}-{end}" if end != start else str(start)


def default_slug(old: Convention, start: int, end: int) -> str:
    """The old slug with the new years in place of its own, else the territory's with them."""
    pattern = rf"-{old.start_year}(-{old.end_year})?$"
    if re.search(pattern, old.slug):
        base = re.sub(pattern, "", old.slug)
    else:
        base = slugify(old.territory) or old.slug
    suffix = years_suffix(start, end)
    return f"{base[: 100 - len(suffix) - 1].rstrip('-')}-{suffix}"


def default_title(old: Convention, start: int, end: int) -> str:
    """The old title with the new years in place of the old ones, if it names them."""
    years = {str(old.start_year): str(start), str(old.end_year): str(end)}
    pattern = r"\b(" + "|".join(re.escape(y) for y in years) + r")\b"
    return re.sub(pattern, lambda match: years[match.group(1)], old.title)


class PeriodForm(forms.Form):
    """Step 1: the new convention — its period, title, slug, territory, EPCI, signatories."""

    start_year = forms.IntegerField(label=capfirst(_("first year")))
    end_year = forms.IntegerField(label=capfirst(_("last year")))
    title = forms.CharField(
        label=capfirst(_("title")), max_length=250, validators=[no_control_characters]
    )
    slug = forms.SlugField(
        label=capfirst(_("slug")),
        max_length=100,
        help_text=_("The convention's address: lower-case letters, digits and hyphens."),
    )
    territory = forms.CharField(
        label=capfirst(_("territory")), max_length=200, validators=[no_control_characters]
    )
    epci = forms.TypedChoiceField(label=_("EPCI"), required=False, coerce=int)
    signatories = forms.TypedMultipleChoiceField(
        label=capfirst(_("signatories")),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, source: Source, **kwargs: Any) -> None:
        old = source.convention
        start, end = default_period(old)
        kwargs.setdefault(
            "initial",
            {
                "start_year": start,
                "end_year": end,
                "title": default_title(old, start, end),
                "slug": default_slug(old, start, end),
                "territory": old.territory,
                "epci": old.epci_id or "",
                "signatories": [s.partner_id for s in source.signatories],
            },
        )
        super().__init__(*args, **kwargs)
        self.source = source
        self.fields["epci"].choices = [("", "—")] + [(p.pk, p.name) for p in source.epcis]  # type: ignore[attr-defined]
        self.fields["signatories"].choices = [  # type: ignore[attr-defined]
            (s.partner_id, s.partner.name) for s in source.signatories
        ]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Convention.objects.filter(slug=slug).exists():
            raise forms.ValidationError(
                _("This slug is taken by another convention: choose another."), code="taken"
            )
        return slug

    def clean_epci(self) -> int | None:
        return self.cleaned_data.get("epci") or None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start_year"), cleaned.get("end_year")
        if start is not None and not MIN_YEAR <= start <= MAX_YEAR:
            self.add_error("start_year", YEARS_MESSAGE)
            start = None
        if end is not None and not MIN_YEAR <= end <= MAX_YEAR:
            self.add_error("end_year", YEARS_MESSAGE)
            end = None
        if start is None or end is None:
            return cleaned
        if end < start:
            self.add_error("end_year", _("The last year must not come before the first year."))
        elif end - start >= MAX_CONVENTION_YEARS:
            self.add_error("end_year", _("A CTG lasts five years at most."))
        elif "territory" in cleaned:
            self.check_overlap(start, end, cleaned.get("epci"), cleaned["territory"])
        return cleaned

    def check_overlap(self, start: int, end: int, epci: int | None, territory: str) -> None:
        """Refuse a period that overlaps another convention of the same territory (the same
        EPCI when one is named, else the same territory's name): the old one included."""
        others = Convention.objects.filter(start_year__lte=end, end_year__gte=start).order_by(
            "start_year", "pk"
        )
        # The same EPCI, or the same territory's name (a convention recorded without its EPCI):
        # names compared as the portal compares text (accents, case and spaces aside), the same
        # on SQLite and PostgreSQL: in Python, over the few columns needed.
        key = search_key(territory)
        rows = others.values_list("pk", "epci_id", "territory")
        found = next(
            (
                pk
                for pk, row_epci, name in rows
                if (epci and row_epci == epci) or search_key(name) == key
            ),
            None,
        )
        other = Convention.objects.get(pk=found) if found is not None else None
        if other is not None:
            self.add_error(
                None,
                _(
                    "The period %(start)s–%(end)s overlaps the convention “%(title)s” "
                    "(%(first)s–%(last)s) of the same territory: choose another period."
                )
                % {
                    "start": start,
                    "end": end,
                    "title": other.title,
                    "first": other.start_year,
                    "last": other.end_year,
                },
            )

    @property
    def years(self) -> list[int]:
        return list(range(self.cleaned_data["start_year"], self.cleaned_data["end_year"] + 1))


class CarryForm(forms.Form):
    """Step 2: what carries over, each kind a list of checkboxes ticked by default, the
    numbering of the carried sheets and the planned amounts of each line for each new year."""

    challenges = forms.TypedMultipleChoiceField(
        label=capfirst(_("challenges")), required=False, coerce=int
    )
    objectives = forms.TypedMultipleChoiceField(
        label=capfirst(_("strategic objectives")), required=False, coerce=int
    )
    domains = forms.TypedMultipleChoiceField(
        label=capfirst(_("domains")), required=False, coerce=int
    )
    sheets = forms.TypedMultipleChoiceField(
        label=capfirst(_("action sheets")), required=False, coerce=int
    )
    numbering = forms.ChoiceField(
        label=_("Numbering of the sheets carried over"),
        choices=[
            ("keep", _("keep their numbers")),
            ("renumber", _("number them again from 1, in their order")),
        ],
        widget=forms.RadioSelect,
    )
    indicators = forms.TypedMultipleChoiceField(
        label=capfirst(_("indicators")), required=False, coerce=int
    )
    members = forms.TypedMultipleChoiceField(label=_("Members"), required=False, coerce=int)
    lines = forms.TypedMultipleChoiceField(
        label=capfirst(_("funding lines")), required=False, coerce=int
    )

    def __init__(
        self, *args: Any, source: Source, years: list[int], user: Any, **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "challenges": [c.pk for c in source.challenges],
                "objectives": [o.pk for o in source.objectives],
                "domains": [d.pk for d in source.domains],
                "sheets": [s.pk for s in source.sheets if not s.is_finished],  # type: ignore[attr-defined]
                "numbering": "keep",
                "indicators": [i.pk for i in source.indicators],
                "members": [m.pk for m in source.memberships],
                "lines": [line.pk for line in source.lines],
            },
        )
        super().__init__(*args, **kwargs)
        self.source, self.years = source, years
        # The renewing user's membership always carries: they must open the new convention.
        self.own_membership = next((m.pk for m in source.memberships if m.user_id == user.pk), None)
        options = {
            "challenges": [(c.pk, c.title) for c in source.challenges],
            "objectives": [(o.pk, str(o)) for o in source.objectives],
            "domains": [(d.pk, d.name) for d in source.domains],
            "sheets": [(s.pk, str(s)) for s in source.sheets],
            "indicators": [(i.pk, i.label) for i in source.indicators],
            "members": [(m.pk, str(m.user)) for m in source.memberships],
            "lines": [(line.pk, line.label) for line in source.lines],
        }
        for name, choices in options.items():
            self.fields[name].choices = choices  # type: ignore[attr-defined]
        for line in source.lines:
            for year in years:
                name = f"amount-{line.pk}-{year}"
                last = line.last_planned  # type: ignore[attr-defined]
                self.fields[name] = FrenchDecimalField(
                    label=_("%(line)s, %(year)s") % {"line": line.label, "year": year},
                    required=False,
                    min_value=Decimal("0"),
                    max_digits=12,
                    decimal_places=2,
                    initial=last if last is not None else Decimal("0"),
                )
                self.fields[name].error_messages["min_value"] = _("An amount cannot be negative.")

    MULTIPLE = ("challenges", "objectives", "domains", "sheets", "indicators", "members", "lines")

    @cached_property
    def ticked(self) -> dict[str, set[int]]:
        """{field: the ids ticked}, posted or else the defaults, for the template's boxes."""
        result = {}
        for name in self.MULTIPLE:
            if self.is_bound:
                raw = cast("QueryDict", self.data).getlist(name)
                values = {int(value) for value in raw if AN_ID.fullmatch(str(value))}
            else:
                values = set(self.initial.get(name, []))
            result[name] = values
        if self.own_membership is not None:
            result["members"].add(self.own_membership)
        return result

    @property
    def numbering_value(self) -> str:
        return (self.data.get("numbering") if self.is_bound else None) or "keep"

    def line_rows(self) -> list[tuple[Any, list[Any]]]:
        """[(line, [(year, its amount field)] per new year)] for the template."""
        return [
            (line, [(year, self[f"amount-{line.pk}-{year}"]) for year in self.years])
            for line in self.source.lines
        ]

    def clean_members(self) -> list[int]:
        members = self.cleaned_data["members"]
        if self.own_membership is not None and self.own_membership not in members:
            members.append(self.own_membership)
        return members

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        objectives = set(cleaned.get("objectives", []))
        sheets = set(cleaned.get("sheets", []))
        if "objectives" in cleaned and "sheets" in cleaned:
            for sheet in self.source.sheets:
                if sheet.pk in sheets and sheet.objective_id not in objectives:
                    self.add_error(
                        "sheets",
                        _(
                            "The sheet “%(sheet)s” is carried over without its objective "
                            "“%(objective)s”: tick the objective too, or untick the sheet."
                        )
                        % {"sheet": str(sheet), "objective": str(sheet.objective)},
                    )
        if "members" in cleaned and not any(
            m.pk in set(cleaned["members"]) and m.role == Membership.Role.COORDINATOR
            for m in self.source.memberships
        ):
            self.add_error(
                "members",
                _("Carry over at least one coordinator: the new convention needs one."),
            )
        lines = set(cleaned.get("lines", []))
        for line in self.source.lines:
            for year in self.years:
                name = f"amount-{line.pk}-{year}"
                if line.pk in lines and name in cleaned and cleaned[name] is None:
                    self.add_error(name, _("Enter an amount for each year: 0 if none."))
        return cleaned

    def amounts(self) -> dict[int, dict[int, Decimal]]:
        lines = set(self.cleaned_data["lines"])
        return {
            line.pk: {year: self.cleaned_data[f"amount-{line.pk}-{year}"] for year in self.years}
            for line in self.source.lines
            if line.pk in lines
        }


class ConfirmForm(OnceForm):
    """Step 3's confirmation: its one-time token makes a double click renew once; the
    preview's fingerprint (`Preview.fingerprint`) makes a renewal write only what was shown."""

    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)


def choices_of(period: PeriodForm, carry: CarryForm) -> Choices:
    """The wizard's decision, from its two valid forms."""
    first, second = period.cleaned_data, carry.cleaned_data
    return Choices(
        start_year=first["start_year"],
        end_year=first["end_year"],
        title=first["title"],
        slug=first["slug"],
        territory=first["territory"],
        epci_id=first["epci"],
        signatory_ids=frozenset(first["signatories"]),
        challenge_ids=frozenset(second["challenges"]),
        objective_ids=frozenset(second["objectives"]),
        domain_ids=frozenset(second["domains"]),
        sheet_ids=frozenset(second["sheets"]),
        renumber=second["numbering"] == "renumber",
        indicator_ids=frozenset(second["indicators"]),
        membership_ids=frozenset(second["members"]),
        line_ids=frozenset(second["lines"]),
        amounts=carry.amounts(),
    )


def carried_fields(*forms_: forms.Form) -> list[tuple[str, str]]:
    """[(name, value)] of the posted data of `forms_`, for hidden inputs: the next step posts
    them again (the wizard keeps no state on the server)."""
    pairs = []
    for form in forms_:
        for name in form.fields:
            data = cast("QueryDict", form.data)
            pairs += [(name, value) for value in data.getlist(name)]
    return pairs
