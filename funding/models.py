import datetime
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from conventions.models import LOCAL_SHARE_KINDS, MAX_YEAR, MIN_YEAR, Convention, Partner
from ctg_portal.formatting import format_euros
from ctg_portal.text import SearchKeyField
from ctg_portal.validators import no_control_characters

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
    name = models.CharField(_("name"), max_length=200, validators=[no_control_characters])
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
    label = models.CharField(_("label"), max_length=300, validators=[no_control_characters])
    # The label as lines are matched (imports, uniqueness): without accents, case or extra
    # spaces, the same on SQLite and PostgreSQL ("Équipe  test" is "equipe test").
    key = SearchKeyField(_("matching key"), sources=["label"])
    structure = models.ForeignKey(
        Structure,
        on_delete=models.RESTRICT,
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

    history = HistoricalRecords(excluded_fields=["key"])

    class Meta:
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        ordering = ["convention", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "key"],
                name="funding_line_unique_key",
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
        # Forms leave the key out (it is never edited), so its unique constraint is checked here.
        key = self._meta.get_field("key").key_of(self)
        if (
            self.convention_id
            and FundingLine.objects.filter(convention_id=self.convention_id, key=key)
            .exclude(pk=self.pk)
            .exists()
        ):
            errors["label"] = _("This convention already has a funding line of that label.")
        if errors:
            raise ValidationError(errors)


def counted(prefix: str = "") -> Q:
    """The payments that count in every total: those not cancelled. A cancelled payment is
    kept and shown (struck, with its reason), and counted nowhere. `prefix` reaches them
    through a relation ("payments__" from a yearly amount)."""
    return Q(**{f"{prefix}cancelled_at__isnull": True})


class FundingAmountQuerySet(models.QuerySet):
    def with_paid(self):
        """Annotate `paid_total`: the sum of the amount's counted payments (None: none)."""
        return self.annotate(paid_total=Sum("payments__amount", filter=counted("payments__")))


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
    objects = FundingAmountQuerySet.as_manager()

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
        """What was paid on this amount, cancelled payments left out."""
        try:
            total = self.paid_total  # annotated by with_paid (None: no payment)
        except AttributeError:
            total = self.payments.active().aggregate(total=Sum("amount"))["total"]
        return total or Decimal("0")


class PaymentQuerySet(models.QuerySet):
    def active(self):
        """The payments that count (not cancelled): see `counted`."""
        return self.filter(counted())

    def of_convention(self, convention):
        return self.filter(funding_amount__line__convention=convention)


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
    note = models.CharField(
        _("note"), max_length=300, blank=True, validators=[no_control_characters]
    )
    # A payment typed wrong is corrected or cancelled, never deleted: a cancelled one stays on
    # the page, struck, and leaves every total (`counted`).
    cancelled_at = models.DateTimeField(_("cancelled on"), null=True, blank=True, editable=False)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancel_reason = models.CharField(
        _("reason for the cancellation"),
        max_length=300,
        blank=True,
        editable=False,
        validators=[no_control_characters],
    )
    # Moves on every correction or cancellation: a correction made from an older version is
    # refused (funding.services.correct_payment), not applied over a colleague's.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    # The reason of a correction or a cancellation is the record's change reason: longer than
    # simple-history's default 100 characters.
    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))
    objects = PaymentQuerySet.as_manager()

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
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""),
                name="payment_cancellation_has_reason",
                violation_error_message=_("A cancellation needs a reason."),
            ),
        ]

    def __str__(self):
        return f"{self.funding_amount} — {format_euros(self.amount)} ({self.get_kind_display()})"

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None


def new_import_token():
    return secrets.token_urlsafe(32)


class PendingImportQuerySet(models.QuerySet):
    def expired(self, now: datetime.datetime):
        return self.filter(created_at__lt=now - PendingImport.LIFETIME)

    def live(self, now: datetime.datetime):
        return self.filter(created_at__gte=now - PendingImport.LIFETIME)


class PendingImport(models.Model):
    """A previewed import awaiting its confirmation: the rows it would write, kept in the
    database under a random token (a 5 000-line preview is megabytes: no place for a
    session), for one user and one convention, an hour at most. The confirm takes it (and
    deletes it) once. Not part of a convention's backup."""

    LIFETIME = datetime.timedelta(hours=1)

    token = models.CharField(
        _("token"), max_length=64, unique=True, default=new_import_token, editable=False
    )
    convention = models.ForeignKey(
        Convention, on_delete=models.CASCADE, related_name="+", verbose_name=_("convention")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    created_at = models.DateTimeField(_("created on"), default=timezone.now, db_index=True)
    payload = models.JSONField(_("rows to write"))

    objects = PendingImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("pending import")
        verbose_name_plural = _("pending imports")

    def __str__(self):
        return f"{self.convention} — {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"
