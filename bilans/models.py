"""The yearly bilans: each fiche action's review of a year, and the convention's bilan of it.

A review is filled by the sheet's pilots and the coordinators (draft), submitted, then
validated by a coordinator (naming the COPIL that approved it when there is one); a validated
review is locked until a coordinator reopens it. Both carry a `version` that every write
claims (bilans.services): of two writes from one version, one goes through.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from actions.models import ActionSheet
from committees.models import Meeting
from conventions.models import Convention
from ctg_portal.validators import no_control_characters

YEAR_RANGE = Q(year__gte=2000, year__lte=2100)


def year_refusal(convention, year, today):
    """The French reason why `year` cannot have a bilan in `convention` (outside its period,
    or not begun on `today`), else None."""
    if year not in convention.years:
        return gettext("%(year)s is not a year of this convention (%(start)s–%(end)s).") % {
            "year": year,
            "start": convention.start_year,
            "end": convention.end_year,
        }
    if year > today.year:
        return gettext("The year %(year)s has not begun yet.") % {"year": year}
    return None


class SheetReviewQuerySet(models.QuerySet):
    def of_year(self, convention, year):
        return self.filter(sheet__convention=convention, year=year)


class SheetReview(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("review", "draft")
        SUBMITTED = "submitted", pgettext_lazy("review", "submitted")
        VALIDATED = "validated", pgettext_lazy("review", "validated")

    sheet = models.ForeignKey(
        ActionSheet,
        on_delete=models.CASCADE,
        related_name="reviews",
        verbose_name=_("action sheet"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    achievements = models.TextField(
        _("achievements of the year"), blank=True, validators=[no_control_characters]
    )
    difficulties = models.TextField(
        _("difficulties met"), blank=True, validators=[no_control_characters]
    )
    adjustments = models.TextField(
        _("adjustments proposed"), blank=True, validators=[no_control_characters]
    )
    proposed_status = models.CharField(
        _("status proposed for next year"),
        max_length=20,
        choices=ActionSheet.Status.choices,
        blank=True,
    )
    comment = models.TextField(_("comment"), blank=True, validators=[no_control_characters])
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted on"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validated by"),
    )
    validated_at = models.DateTimeField(_("validated on"), null=True, blank=True)
    validated_meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="validated_reviews",
        verbose_name=_("approving meeting"),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = HistoricalRecords()
    objects = SheetReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("yearly review")
        verbose_name_plural = _("yearly reviews")
        ordering = ["sheet", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["sheet", "year"],
                name="review_unique_sheet_year",
                violation_error_message=_("This sheet already has a review for that year."),
            ),
            models.CheckConstraint(
                condition=YEAR_RANGE,
                name="review_year_plausible",
                violation_error_message=_("The year must lie between 2000 and 2100."),
            ),
            models.CheckConstraint(
                condition=~Q(state="validated") | Q(validated_at__isnull=False),
                name="review_validated_has_date",
                violation_error_message=_("A validated review has its validation date."),
            ),
        ]

    def __str__(self):
        return f"{self.sheet} — {self.year}"

    @property
    def is_locked(self):
        """A validated review is read-only until a coordinator reopens it."""
        return self.state == self.State.VALIDATED

    def clean(self):
        super().clean()
        errors = {}
        if self.sheet_id and self.year:
            refusal = year_refusal(self.sheet.convention, self.year, timezone.localdate())
            if refusal:
                errors["year"] = refusal
        if (
            self.validated_meeting_id
            and self.sheet_id
            and self.validated_meeting.convention_id != self.sheet.convention_id
        ):
            errors["validated_meeting"] = _("Choose a meeting of this sheet's convention.")
        if errors:
            raise ValidationError(errors)


class YearBilan(models.Model):
    convention = models.ForeignKey(
        Convention, on_delete=models.CASCADE, related_name="bilans", verbose_name=_("convention")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    synthesis = models.TextField(_("synthesis"), blank=True, validators=[no_control_characters])
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("year's bilan")
        verbose_name_plural = _("years' bilans")
        ordering = ["convention", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "year"],
                name="bilan_unique_convention_year",
                violation_error_message=_("This convention already has a bilan for that year."),
            ),
            models.CheckConstraint(
                condition=YEAR_RANGE,
                name="bilan_year_plausible",
                violation_error_message=_("The year must lie between 2000 and 2100."),
            ),
        ]

    def __str__(self):
        return f"{self.convention} — {self.year}"

    def clean(self):
        super().clean()
        if self.convention_id and self.year:
            refusal = year_refusal(self.convention, self.year, timezone.localdate())
            if refusal:
                raise ValidationError({"year": refusal})
