from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from conventions.models import LOCAL_SHARE_KINDS, MAX_YEAR, MIN_YEAR, Convention, Partner

MONEY = {"max_digits": 12, "decimal_places": 2}


class Structure(models.Model):
    class Kind(models.TextChoices):
        EAJE = "eaje", _("EAJE (early childhood centre)")
        RPE = "rpe", _("childminders' network (RPE)")
        LAEP = "laep", _("LAEP")
        ALSH = "alsh", _("leisure centre (ALSH)")
        YOUTH = "youth", _("youth centre (MJC)")
        AFTER_SCHOOL = "after_school", _("after-school care")
        COORDINATION = "coordination", _("coordination")
        OTHER = "other", _("other")

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="structures",
        verbose_name=_("convention"),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    operator = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="operated_structures",
        verbose_name=_("operator"),
    )
    commune = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="structures",
        limit_choices_to={"kind": Partner.Kind.COMMUNE},
        verbose_name=_("commune"),
    )

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["convention", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "name"],
                name="structure_unique_name",
                violation_error_message=_("This convention already has a structure of that name."),
            ),
        ]

    def __str__(self):
        return self.name


class FundingLine(models.Model):
    class Category(models.TextChoices):
        COORDINATION = "coordination", _("CTG coordination")
        BONUS = "bonus", _("CTG territory bonus")
        SERVICE = "service", _("service grant (PS)")
        LOCAL = "local", _("local funds")
        INVESTMENT = "investment", _("investment")
        OTHER = "other", _("other")

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="funding_lines",
        verbose_name=_("convention"),
    )
    label = models.CharField(_("label"), max_length=300)
    structure = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funding_lines",
        verbose_name=_("structure"),
    )
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.BONUS
    )
    funder = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="funded_lines",
        verbose_name=_("funder"),
        help_text=_("The CAF, or a commune or the EPCI for the local authorities' own share."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        ordering = ["convention", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "label"],
                name="funding_line_unique_label",
                violation_error_message=_(
                    "This convention already has a funding line of that label."
                ),
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def is_local_share(self):
        """True for the collectivités' own share (a commune or the EPCI pays)."""
        return self.funder.kind in LOCAL_SHARE_KINDS

    def clean(self):
        errors = {}
        if (
            self.structure_id
            and self.convention_id
            and self.structure.convention_id != self.convention_id
        ):
            errors["structure"] = _("Choose a structure of this line's convention.")
        if errors:
            raise ValidationError(errors)


class FundingAmount(models.Model):
    line = models.ForeignKey(
        FundingLine,
        on_delete=models.CASCADE,
        related_name="amounts",
        verbose_name=_("funding line"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    planned = models.DecimalField(
        _("planned amount (€)"),
        **MONEY,
        validators=[MinValueValidator(Decimal("0"), message=_("An amount cannot be negative."))],
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("yearly amount")
        verbose_name_plural = _("yearly amounts")
        ordering = ["line", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "year"],
                name="funding_amount_unique_year",
                violation_error_message=_("This line already has an amount for that year."),
            ),
            models.CheckConstraint(
                condition=Q(planned__gte=0),
                name="funding_amount_not_negative",
                violation_error_message=_("An amount cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=MIN_YEAR, year__lte=MAX_YEAR),
                name="funding_amount_year_plausible",
                violation_error_message=_("The year must lie between 2000 and 2100."),
            ),
        ]

    def __str__(self):
        return f"{self.line} — {self.year}"

    def clean(self):
        # The database cannot compare with the convention's period (another table): checked here.
        if self.year and self.line_id:
            convention = self.line.convention
            if not convention.start_year <= self.year <= convention.end_year:
                raise ValidationError(
                    {
                        "year": _(
                            "The year must lie within the convention's period (%(start)s–%(end)s)."
                        )
                        % {"start": convention.start_year, "end": convention.end_year}
                    }
                )

    @property
    def paid(self):
        return self.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0")


class Payment(models.Model):
    class Kind(models.TextChoices):
        ADVANCE = "advance", _("advance")
        BALANCE = "balance", _("balance")

    funding_amount = models.ForeignKey(
        FundingAmount,
        on_delete=models.CASCADE,
        related_name="payments",
        verbose_name=_("yearly amount"),
    )
    amount = models.DecimalField(
        _("amount (€)"),
        **MONEY,
        validators=[
            MinValueValidator(Decimal("0.01"), message=_("A payment is a positive amount."))
        ],
    )
    paid_on = models.DateField(_("payment date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ADVANCE)
    note = models.CharField(_("note"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["funding_amount", "paid_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_positive",
                violation_error_message=_("A payment is a positive amount."),
            ),
        ]

    def __str__(self):
        return f"{self.funding_amount} — {self.amount} € ({self.get_kind_display()})"
