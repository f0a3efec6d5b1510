import datetime
import decimal
import functools
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, ExpressionWrapper, F, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.signals import pre_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from conventions.models import (
    Convention,
    Domain,
    Partner,
    StrategicObjective,
    keep_links_within_convention,
    running_condition,
)
from ctg_portal.formatting import format_dated, format_measure
from ctg_portal.text import SearchKeyField
from ctg_portal.validators import no_control_characters


def known(condition):
    """A condition as a boolean column that is never NULL: in SQL a comparison with a date not
    set (no planned end, no due date) is unknown, which is not late."""
    return Coalesce(
        ExpressionWrapper(condition, output_field=models.BooleanField()),
        Value(False),
        output_field=models.BooleanField(),
    )


class ActionSheetQuerySet(models.QuerySet):
    def active(self):
        """Sheets not archived: the ones lists and dashboards show."""
        return self.filter(archived_at__isnull=True)

    def overdue(self, today):
        """Late sheets: planned end passed, or a step late, and not done or abandoned."""
        return self.with_lateness(today).filter(is_late=True)

    def with_lateness(self, today):
        """Annotate `has_late_step` and `is_late` (see `overdue`): the one definition of a
        late sheet, used by lists, pages, dashboards and the overview. A sheet of a
        convention whose period is over is never late: it stands where the period left it."""
        # The steps' own part of their rule: the sheet's convention runs is checked below, on
        # the sheet. Joined again in the subquery, PostgreSQL hashed every late step of the
        # portal for each list (43 ms for the overview at 1 000 conventions, 9 ms without).
        late_steps = Step.objects.filter(
            StepQuerySet.overdue_condition(today), sheet=OuterRef("pk")
        )
        finished = self.finished_condition()
        running = running_condition(today, "convention__")
        return self.annotate(has_late_step=known(running & Exists(late_steps))).annotate(
            is_late=known(~finished & running & (Q(planned_end__lt=today) | Q(has_late_step=True)))
        )

    @staticmethod
    def finished_condition():
        """A sheet is finished when done or abandoned: never late, nothing left to remind."""
        return Q(status__in=[ActionSheet.Status.DONE, ActionSheet.Status.ABANDONED])

    def unfinished(self):
        return self.exclude(self.finished_condition())

    def with_note_silence(self, today, days):
        """Annotate `last_note_on` (the latest follow-up note's date, None without one) and
        `is_silent`: no note written in the `days` days up to `today` (the reminders)."""
        last_notes = ProgressNote.objects.filter(sheet=OuterRef("pk")).order_by("-written_on")
        since = today - datetime.timedelta(days=days)
        return self.annotate(last_note_on=Subquery(last_notes.values("written_on")[:1])).annotate(
            is_silent=ExpressionWrapper(
                Q(last_note_on__isnull=True) | Q(last_note_on__lt=since),
                output_field=models.BooleanField(),
            ),
        )

    def next_number(self, convention):
        """The number a new sheet of `convention` gets: one more than the highest."""
        return (self.filter(convention=convention).aggregate(n=Max("number"))["n"] or 0) + 1

    def with_next_step(self):
        """Annotate the title and due date of the next step not done (earliest due first)."""
        next_steps = Step.objects.filter(sheet=OuterRef("pk"), done_on__isnull=True).order_by(
            F("due_on").asc(nulls_last=True), "position", "pk"
        )
        return self.annotate(
            next_step_title=Subquery(next_steps.values("title")[:1]),
            next_step_due=Subquery(next_steps.values("due_on")[:1]),
        )


class StepQuerySet(models.QuerySet):
    @staticmethod
    def overdue_condition(today):
        """The step's own part of being late: not done, and its due date has passed."""
        return Q(done_on__isnull=True, due_on__lt=today)

    @classmethod
    def late_condition(cls, today):
        """A step is late when it is overdue while its convention runs: once the period is
        over, nothing is late any more."""
        return cls.overdue_condition(today) & running_condition(today, "sheet__convention__")

    def late(self, today):
        return self.filter(self.late_condition(today))

    def with_lateness(self, today):
        """Annotate `is_late` (see `late`)."""
        return self.annotate(is_late=known(self.late_condition(today)))

    def upcoming(self, today, days):
        """Steps not done, due from `today` to `days` later, of sheets not archived."""
        return self.filter(
            sheet__archived_at__isnull=True,
            done_on__isnull=True,
            due_on__gte=today,
            due_on__lte=today + datetime.timedelta(days=days),
        )


class ProgressNoteQuerySet(models.QuerySet):
    def publishable(self):
        """Notes that may appear on the public page (never with their author)."""
        return self.filter(is_public=True)


class SheetHistoricalRecords(HistoricalRecords):
    """simple-history's records of a sheet, its links included, from either side of a link.

    simple-history records a link changed from the sheet (`sheet.pilots.add(user)`) but fails
    on one changed from the other side (`user.piloted_sheets.add(sheet)`, django-simple-history
    issue #1048): there the instance is the user, and the sheets changed are `pk_set`.
    """

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not reverse:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        field = self.cls._meta.get_field(attr)
        if action == "pre_clear":  # Django gives no pk_set on clear: the sheets linked now
            rows = field.remote_field.through.objects.filter(
                **{field.m2m_reverse_field_name(): instance}
            )
            pk_set = set(rows.values_list(f"{field.m2m_field_name()}_id", flat=True))
            instance.__dict__.setdefault("_sheets_cleared", {})[attr] = pk_set
        elif action in ("post_add", "post_remove", "post_clear"):
            if action == "post_clear":
                pk_set = instance.__dict__.get("_sheets_cleared", {}).pop(attr, ())
            for sheet in self.cls._default_manager.filter(pk__in=pk_set):
                super().m2m_changed(sheet, action, attr, pk_set, reverse=False, **kwargs)


# The many-to-many fields the sheet's history records with it (one table of rows each).
LINK_FIELDS = ["domains", "pilots", "partners", "communes"]
# The search column is computed from fields the records hold: not recorded itself.
sheet_records = SheetHistoricalRecords(
    m2m_fields=LINK_FIELDS, excluded_fields=["search_text", "predecessor"]
)


@functools.cache
def link_history_models():
    """{link field name: the model of its history rows (one row per linked object and record)}.

    Cached: reading the descriptor builds a related manager class each time (milliseconds).
    """
    return {name: getattr(ActionSheet.history.model, name).model for name in LINK_FIELDS}


class ActionSheet(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", _("to be launched")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("completed")
        PAUSED = "paused", _("paused")
        BLOCKED = "blocked", _("blocked")
        ABANDONED = "abandoned", _("abandoned")

    class Priority(models.TextChoices):
        HIGH = "high", _("high")
        MEDIUM = "medium", _("medium")
        LOW = "low", _("low")

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="action_sheets",
        verbose_name=_("convention"),
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=400, validators=[no_control_characters])
    objective = models.ForeignKey(
        StrategicObjective,
        on_delete=models.RESTRICT,
        related_name="action_sheets",
        verbose_name=_("strategic objective"),
    )
    domains = models.ManyToManyField(
        Domain, blank=True, related_name="action_sheets", verbose_name=_("domains")
    )
    description = models.TextField(_("description"), blank=True, validators=[no_control_characters])
    goals = models.TextField(_("goals"), blank=True, validators=[no_control_characters])
    target_publics = models.TextField(
        _("target publics"), blank=True, validators=[no_control_characters]
    )
    lead_partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_action_sheets",
        verbose_name=_("lead partner"),
    )
    pilots = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="piloted_sheets",
        verbose_name=_("pilots"),
    )
    elected_referent = models.CharField(
        _("elected referent"), max_length=200, blank=True, validators=[no_control_characters]
    )
    partners = models.ManyToManyField(
        Partner, blank=True, related_name="partner_action_sheets", verbose_name=_("partners")
    )
    communes = models.ManyToManyField(
        Partner,
        blank=True,
        related_name="commune_action_sheets",
        limit_choices_to={"kind": Partner.Kind.COMMUNE},
        verbose_name=_("communes concerned"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.TODO
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    archived_at = models.DateTimeField(_("archived on"), null=True, blank=True)
    predecessor = models.OneToOneField(
        "self",
        verbose_name=_("continues"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="successor",
        help_text=_("The sheet of the previous convention that this one carries on."),
    )
    # What the search box compares, accents and case left out (ctg_portal.text.search_key).
    search_text = SearchKeyField(
        _("search text"), sources=["title", "description", "goals", "target_publics"]
    )

    # Set by complete_if_done when it moved the progress to 100: the user is told, once.
    progress_set_to_100 = False

    history = sheet_records
    objects = ActionSheetQuerySet.as_manager()

    class Meta:
        verbose_name = _("action sheet")
        verbose_name_plural = _("action sheets")
        ordering = ["convention", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "number"],
                name="sheet_unique_number",
                violation_error_message=_(
                    "This convention already has an action sheet of that number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="sheet_number_positive",
                violation_error_message=_("The number starts at 1."),
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="sheet_progress_0_100",
                violation_error_message=_("Progress lies between 0 and 100 %."),
            ),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_start__lte=F("planned_end")),
                name="sheet_start_before_end",
                violation_error_message=_(
                    "The planned end must not come before the planned start."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(progress=100),
                name="sheet_done_means_100",
                violation_error_message=_("A completed sheet is at 100 %."),
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"

    def save(self, *args, **kwargs):
        self.complete_if_done()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            update_fields = set(update_fields)
            if "status" in update_fields:
                update_fields.add("progress")
            if update_fields & set(self._meta.get_field("search_text").sources):
                update_fields.add("search_text")
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)

    @property
    def next_sheet(self):
        """The sheet of the next convention that carries this one on, or None."""
        try:
            return self.successor
        except ActionSheet.DoesNotExist:
            return None

    def complete_if_done(self):
        """Completed means 100 %: the status brings the progress with it (the one place).

        True when it moved the progress (also kept in `progress_set_to_100`, for the message
        that tells it): a sheet already at 100 % is not told again.
        """
        if self.status != self.Status.DONE or self.progress == 100:
            return False
        self.progress = 100
        self.progress_set_to_100 = True
        return True

    def clean(self):
        # Before the constraints are validated (full_clean): a form posting "completed" at
        # 60 % saves at 100 %, as the model's save() would.
        self.complete_if_done()
        errors = {}
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The planned end must not come before the planned start.")
        if (
            self.objective_id
            and self.convention_id
            and self.objective.convention_id != self.convention_id
        ):
            errors["objective"] = _("Choose an objective of this sheet's convention.")
        if errors:
            raise ValidationError(errors)


class Step(models.Model):
    sheet = models.ForeignKey(
        ActionSheet, on_delete=models.CASCADE, related_name="steps", verbose_name=_("action sheet")
    )
    title = models.CharField(_("title"), max_length=300, validators=[no_control_characters])
    due_on = models.DateField(_("due date"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=1)

    history = HistoricalRecords()
    objects = StepQuerySet.as_manager()

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["sheet", "position", "due_on", "pk"]

    def __str__(self):
        return self.title


def target_text(value):
    """A yearly target as `Indicator.yearly_targets` holds it: the decimal's plain text,
    without trailing zeros ("17.5", "120"), so that equal targets are equal texts."""
    text = format(decimal.Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class YearResult:
    """One year of an indicator: its target, the last value measured that year, and whether
    that value reaches the target (None without either)."""

    year: int
    target: decimal.Decimal | None
    value: decimal.Decimal | None
    reached: bool | None


def validate_yearly_targets(value):
    """{year: value}: four-digit years, values that are decimals of at most 12 digits before
    the point and 2 after (what the other measures of an indicator hold)."""
    if not isinstance(value, dict):
        raise ValidationError(_("The yearly targets must be given per year."))
    for year, target in value.items():
        try:
            number = decimal.Decimal(str(target))
        except (decimal.InvalidOperation, ValueError):
            number = None
        if (
            not (isinstance(year, str) and len(year) == 4 and year.isdigit())
            or number is None
            or not number.is_finite()
            or number.as_tuple().exponent < -2
            or abs(number) >= 10**12
        ):
            raise ValidationError(
                _("“%(value)s” is not a valid target for %(year)s.")
                % {"value": target, "year": year}
            )


class Indicator(models.Model):
    class Kind(models.TextChoices):
        RESULT = "result", _("result")
        MEANS = "means", _("means")

    class Decimals(models.IntegerChoices):
        NONE = 0, _("none (a count)")
        ONE = 1, _("1 decimal")
        TWO = 2, _("2 decimals")

    sheet = models.ForeignKey(
        ActionSheet,
        on_delete=models.CASCADE,
        related_name="indicators",
        verbose_name=_("action sheet"),
    )
    label = models.CharField(_("label"), max_length=300, validators=[no_control_characters])
    unit = models.CharField(
        _("unit"), max_length=50, blank=True, validators=[no_control_characters]
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.RESULT)
    baseline = models.DecimalField(
        _("baseline"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    baseline_source = models.CharField(
        _("baseline source"), max_length=300, blank=True, validators=[no_control_characters]
    )
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    # The target of each year of the convention's period: {"2024": "120", "2025": "150.5"}
    # (years as strings, values as decimal strings: JSON has no decimals). One field, so that
    # an edit's merge and the history treat the yearly targets like any other field.
    yearly_targets = models.JSONField(
        _("yearly targets"), default=dict, blank=True, validators=[validate_yearly_targets]
    )
    decimals = models.PositiveSmallIntegerField(
        _("decimals"),
        choices=Decimals.choices,
        default=Decimals.NONE,
        help_text=_(
            "Decimal places shown for its values, baseline and target: none for a count. "
            "A value that has more is shown in full."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["sheet", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decimals__lte=2),
                name="indicator_decimals_0_2",
                violation_error_message=_("An indicator is shown with 0, 1 or 2 decimals."),
            ),
        ]

    def __str__(self):
        return self.label

    def show(self, value):
        """`value` (one of its values, its baseline or target) as the portal shows it: with
        the indicator's decimals (ctg_portal.formatting.format_measure)."""
        return format_measure(value, self.decimals)

    def target_for(self, year):
        """The target set for `year` (a Decimal), else None. The final `target` is the aim at
        the end of the period; it stands for the last year when that year has none of its own."""
        value = (self.yearly_targets or {}).get(str(year))
        if value is not None:
            return decimal.Decimal(value)
        if self.target is not None and year == self.sheet.convention.end_year:
            return self.target
        return None

    def is_reached(self, value, target):
        """Whether `value` reaches `target` (None when either is missing): at or above it when
        the aim is to rise, at or below it when the target is under the baseline (fewer
        waiting days, fewer places unused) — the one rule of "reached", for the sheet page,
        the yearly reviews and the evaluation."""
        if value is None or target is None:
            return None
        if self.baseline is not None and target < self.baseline:
            return value <= target
        return value >= target

    @property
    def has_year_targets(self):
        return bool(self.yearly_targets)

    def year_results(self, values):
        """Per year of the convention's period: the year's target (`target_for`), the last of
        `values` (its IndicatorValues, oldest first) measured that year and whether it reaches
        the target (`is_reached`: None without a target or a value) — the yearly table of the
        sheet page."""
        last = {}
        for value in values:
            last[value.measured_on.year] = value.value
        results = []
        for year in self.sheet.convention.years:
            target, measured = self.target_for(year), last.get(year)
            results.append(YearResult(year, target, measured, self.is_reached(measured, target)))
        return results

    def clean(self):
        super().clean()
        if not self.yearly_targets or not self.sheet_id:
            return
        convention = self.sheet.convention
        outside = sorted(
            year
            for year in self.yearly_targets
            if not (
                str(year).isdigit() and convention.start_year <= int(year) <= convention.end_year
            )
        )
        if outside:
            raise ValidationError(
                {
                    "yearly_targets": _(
                        "A yearly target must be for a year of the convention (%(start)s–%(end)s),"
                        " not %(years)s."
                    )
                    % {
                        "start": convention.start_year,
                        "end": convention.end_year,
                        "years": ", ".join(str(year) for year in outside),
                    }
                }
            )


class IndicatorValue(models.Model):
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values", verbose_name=_("indicator")
    )
    measured_on = models.DateField(_("date"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    comment = models.CharField(
        _("comment"), max_length=500, blank=True, validators=[no_control_characters]
    )

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["indicator", "measured_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "measured_on"],
                name="indicator_value_unique_date",
                violation_error_message=_("This indicator already has a value on that date."),
            ),
        ]

    def __str__(self):
        """Its indicator, a French date and the value with the indicator's decimals:
        "Places d’accueil — 31/12/2024 : 82"."""
        measured = format_dated(self.measured_on, self.indicator.show(self.value))
        return f"{self.indicator} — {measured}"


class ProgressNote(models.Model):
    sheet = models.ForeignKey(
        ActionSheet, on_delete=models.CASCADE, related_name="notes", verbose_name=_("action sheet")
    )
    written_on = models.DateField(_("date"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="progress_notes",
        verbose_name=_("author"),
    )
    text = models.TextField(_("text"), validators=[no_control_characters])
    is_public = models.BooleanField(
        _("publishable"),
        default=False,
        help_text=_("Publishable notes may appear on the public page; the others stay internal."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ProgressNoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up note")
        verbose_name_plural = _("follow-up notes")
        ordering = ["sheet", "-written_on", "-created_at"]

    def __str__(self):
        return f"{self.sheet} — {self.written_on:%d/%m/%Y}"


@contextmanager
def one_history_record(sheet):
    """Saves of `sheet` and changes of its links within the block make one history record.

    simple-history writes a record on every save and on every change of a link field: a form
    that saves the sheet, then its four link fields, would leave up to nine records for one
    change. Here the record is written at the end of the block, dated from its start: the
    steps and indicators saved with the sheet come after it, as they did before links were
    recorded.
    """
    hold_history(sheet)
    try:
        yield sheet
    except BaseException:
        release_history(sheet)
        raise
    write_history(sheet)


def hold_history(sheet):
    """Start a change of the sheet recorded once, by `write_history` (see one_history_record)."""
    sheet.skip_history_when_saving = True
    sheet._history_held = (sheet.pk is None, timezone.now())


def release_history(sheet):
    """End a held change without recording it; returns (created, moment)."""
    del sheet.skip_history_when_saving
    return sheet.__dict__.pop("_history_held")


def write_history(sheet):
    """Record the sheet as it stands now, its links included, as one change since held."""
    created, moment = release_history(sheet)
    sheet._history_date = moment
    try:
        sheet_records.create_historical_record(sheet, "+" if created else "~")
    finally:
        del sheet._history_date


keep_links_within_convention(ActionSheet._meta.get_field("domains"))


def fill_search_text_when_loaded(sender, instance, raw, **kwargs):
    """loaddata saves a sheet as its fixture has it (raw, without the fields' pre_save): its
    search text is computed all the same (a hand-written fixture may leave it out)."""
    if raw:
        field = sender._meta.get_field("search_text")
        instance.search_text = field.key_of(instance)


pre_save.connect(fill_search_text_when_loaded, sender=ActionSheet)
