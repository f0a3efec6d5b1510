from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.signals import m2m_changed
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ctg_portal.validators import no_control_characters

from .validators import INSEE_CODE_RE, SIREN_RE, validate_insee_code, validate_siren

MIN_YEAR = 2000
MAX_YEAR = 2100
# The Cnaf signs CTGs for one to five years.
MAX_CONVENTION_YEARS = 5


class Partner(models.Model):
    class Kind(models.TextChoices):
        COMMUNE = "commune", _("commune")
        EPCI = "epci", _("EPCI (intercommunality)")
        CAF = "caf", _("CAF")
        DEPARTMENT = "departement", _("département")
        ASSOCIATION = "association", _("association")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200, validators=[no_control_characters])
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    insee_code = models.CharField(
        _("INSEE code"),
        max_length=5,
        blank=True,
        validators=[validate_insee_code],
        help_text=_("Communes only: 5 characters, 2A/2B for Corsica."),
    )
    siren = models.CharField(
        _("SIREN"),
        max_length=9,
        blank=True,
        validators=[validate_siren],
        help_text=_("EPCI only: 9 digits."),
    )
    epci = models.ForeignKey(
        "self",
        verbose_name=_("EPCI"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="member_communes",
        limit_choices_to={"kind": "epci"},
        help_text=_("The intercommunality a commune belongs to."),
    )

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(insee_code="") | Q(kind="commune", insee_code__regex=INSEE_CODE_RE),
                name="partner_insee_code_commune_only",
                violation_error_message=_("Only a commune has an INSEE code, of 5 characters."),
            ),
            models.CheckConstraint(
                condition=Q(siren="") | Q(kind="epci", siren__regex=SIREN_RE),
                name="partner_siren_epci_only",
                violation_error_message=_("Only an EPCI has a SIREN number, of 9 digits."),
            ),
            models.CheckConstraint(
                condition=Q(epci__isnull=True) | Q(kind="commune"),
                name="partner_epci_for_communes_only",
                violation_error_message=_("Only a commune belongs to an EPCI."),
            ),
            models.UniqueConstraint(
                fields=["insee_code"],
                condition=~Q(insee_code=""),
                name="partner_insee_code_unique",
                violation_error_message=_("Another partner already has this INSEE code."),
            ),
            models.UniqueConstraint(
                fields=["siren"],
                condition=~Q(siren=""),
                name="partner_siren_unique",
                violation_error_message=_("Another partner already has this SIREN number."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.insee_code and self.kind != self.Kind.COMMUNE:
            errors["insee_code"] = _("Only a commune has an INSEE code.")
        if self.siren and self.kind != self.Kind.EPCI:
            errors["siren"] = _("Only an EPCI has a SIREN number.")
        if self.epci_id and self.kind != self.Kind.COMMUNE:
            errors["epci"] = _("Only a commune belongs to an EPCI.")
        if self.epci_id and self.epci.kind != self.Kind.EPCI:
            errors["epci"] = _("Choose a partner of kind EPCI.")
        if errors:
            raise ValidationError(errors)


# Funders whose lines are the collectivités' own share, shown apart from the CAF's funding.
LOCAL_SHARE_KINDS = frozenset({Partner.Kind.COMMUNE, Partner.Kind.EPCI})


def running_condition(today: datetime.date, prefix: str = "") -> Q:
    """The conventions (through `prefix`, e.g. "convention__") whose period is not over on
    `today`: the one rule in SQL of `Convention.has_ended` — a sheet or step of one that
    ended is never late, its members get no reminder."""
    return Q(**{f"{prefix}end_year__gte": today.year})


DEPARTMENT_RE = r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-6])$"


class ConventionQuerySet(models.QuerySet):
    def with_status(self, today):
        """Annotate `computed_status`: `Convention.status_on(today)` in SQL, for the lists and
        the overview's filter (the tests hold both to the same boundaries)."""
        status = Convention.Status
        return self.annotate(
            computed_status=Case(
                When(~Q(status_override=""), then=F("status_override")),
                When(successor__isnull=False, then=Value(status.RENEWED)),
                When(Q(signed_on__isnull=True) | Q(signed_on__gt=today), then=Value(status.DRAFT)),
                When(start_year__gt=today.year, then=Value(status.SIGNED)),
                When(running_condition(today), then=Value(status.IN_FORCE)),
                default=Value(status.ENDED),
                output_field=models.CharField(),
            )
        )

    def for_user(self, user):
        """The conventions a user may open: all for a superuser, else those they are a member
        of and those of the CAFs they belong to (CAF-level staff and managers)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            Q(pk__in=Membership.objects.filter(user=user).values("convention"))
            | Q(caf__in=CafMembership.objects.filter(user=user).values("caf"))
        )


class Convention(models.Model):
    class Status(models.TextChoices):
        """A convention's life, computed from its dates and its successor (`status_on`); an
        administrator may set one by hand with a reason (`status_override`), e.g. terminated."""

        DRAFT = "draft", _("in preparation")
        SIGNED = "signed", _("signed")
        IN_FORCE = "in_force", _("in force")
        ENDED = "ended", _("lapsed")
        RENEWED = "renewed", _("renewed")
        TERMINATED = "terminated", _("terminated")

    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=250, validators=[no_control_characters])
    territory = models.CharField(_("territory"), max_length=200, validators=[no_control_characters])
    epci = models.ForeignKey(
        Partner,
        verbose_name=_("territory's EPCI"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="territory_conventions",
        limit_choices_to={"kind": "epci"},
        help_text=_("The intercommunality whose territory the convention covers."),
    )
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))
    signed_on = models.DateField(_("signature date"), null=True, blank=True)
    status_override = models.CharField(
        _("status set by hand"),
        max_length=20,
        choices=Status.choices,
        blank=True,
        help_text=_(
            "Leave empty: the status follows the signature date, the period and the renewal. "
            "Set it only for what the dates cannot tell, such as a terminated convention."
        ),
    )
    status_reason = models.CharField(
        _("reason for the status set by hand"),
        max_length=300,
        blank=True,
        validators=[no_control_characters],
    )
    predecessor = models.OneToOneField(
        "self",
        verbose_name=_("renews"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successor",
        help_text=_("The convention this one renews."),
    )
    caf = models.ForeignKey(
        Partner,
        verbose_name=_("CAF"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="caf_conventions",
        limit_choices_to={"kind": "caf"},
        help_text=_("The CAF that holds the convention: its CAF-level members read it."),
    )
    department = models.CharField(
        _("département"),
        max_length=3,
        blank=True,
        validators=[
            RegexValidator(
                DEPARTMENT_RE, _("Enter a département code: 01 to 95, 2A, 2B or 971 to 976.")
            )
        ],
        help_text=_("The département's code, such as 81 for the Tarn."),
    )
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Publish the dashboard, without personal data, for the residents."),
    )
    has_demo_data = models.BooleanField(
        _("holds demonstration data"),
        default=False,
        help_text=_("Set by seed_demo: every page of the convention then says so."),
    )
    signatories = models.ManyToManyField(
        Partner, through="Signatory", related_name="conventions", verbose_name=_("signatories")
    )

    history = HistoricalRecords()
    objects = ConventionQuerySet.as_manager()

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        ordering = ["-start_year", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_year__lte=F("end_year")),
                name="convention_start_before_end",
                violation_error_message=_("The first year must not come after the last year."),
            ),
            models.CheckConstraint(
                condition=Q(end_year__lt=F("start_year") + MAX_CONVENTION_YEARS),
                name="convention_at_most_five_years",
                violation_error_message=_("A CTG lasts five years at most."),
            ),
            models.CheckConstraint(
                condition=Q(department="") | Q(department__regex=DEPARTMENT_RE),
                name="convention_department_code",
                violation_error_message=_(
                    "Enter a département code: 01 to 95, 2A, 2B or 971 to 976."
                ),
            ),
            models.CheckConstraint(
                condition=Q(start_year__gte=MIN_YEAR, end_year__lte=MAX_YEAR),
                name="convention_years_plausible",
                violation_error_message=_("The period must lie between 2000 and 2100."),
            ),
            models.CheckConstraint(
                condition=Q(status_override="") | ~Q(status_reason=""),
                name="convention_status_override_has_reason",
                violation_error_message=_("Give the reason for the status set by hand."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("portal:dashboard", args=[self.slug])

    @property
    def years(self):
        return list(range(self.start_year, self.end_year + 1))

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.start_year, 1, 1)

    @property
    def last_day(self) -> datetime.date:
        return datetime.date(self.end_year, 12, 31)

    def has_ended(self, today: datetime.date) -> bool:
        """The period is over: after 31 December of the last year (the one rule that makes a
        convention's sheets, steps, indicators and funding read-only, and nothing late)."""
        return today > self.last_day

    def status_on(self, today: datetime.date) -> str:
        """The status on `today`: set by hand, else renewed (a successor exists), else from the
        dates — in preparation until signed, signed until its first year, in force during its
        period, expired after it. `ConventionQuerySet.with_status` is the same rule in SQL."""
        if self.status_override:
            return self.status_override
        if self.has_successor:
            return self.Status.RENEWED
        if self.signed_on is None or self.signed_on > today:
            return self.Status.DRAFT
        if today < self.first_day:
            return self.Status.SIGNED
        if today <= self.last_day:
            return self.Status.IN_FORCE
        return self.Status.ENDED

    @property
    def next_convention(self) -> Convention | None:
        """The convention that renews this one, or None."""
        try:
            return self.successor
        except Convention.DoesNotExist:
            return None

    @property
    def has_successor(self) -> bool:
        return self.next_convention is not None

    @property
    def status(self) -> str:
        """Today's status (Paris time); in lists, `ConventionQuerySet.with_status`'s
        annotation (no query for the successor)."""
        computed = getattr(self, "computed_status", None)
        return computed or self.status_on(timezone.localdate())

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)

    @property
    def is_ended(self) -> bool:
        """Today is after the period (see `has_ended`)."""
        return self.has_ended(timezone.localdate())

    def current_year(self, today):
        """The year of `today` clamped to the convention's period."""
        return min(max(today.year, self.start_year), self.end_year)

    def clean(self):
        errors = {}
        if self.start_year and not MIN_YEAR <= self.start_year <= MAX_YEAR:
            errors["start_year"] = _("Enter a year between 2000 and 2100.")
        if self.end_year and not MIN_YEAR <= self.end_year <= MAX_YEAR:
            errors["end_year"] = _("Enter a year between 2000 and 2100.")
        if self.start_year and self.end_year and not errors:
            if self.end_year < self.start_year:
                errors["end_year"] = _("The last year must not come before the first year.")
            elif self.end_year - self.start_year >= MAX_CONVENTION_YEARS:
                errors["end_year"] = _("A CTG lasts five years at most.")
        if self.caf_id and self.caf.kind != Partner.Kind.CAF:
            errors["caf"] = _("Choose a partner of kind CAF.")
        if self.epci_id and self.epci.kind != Partner.Kind.EPCI:
            errors["epci"] = _("Choose a partner of kind EPCI.")
        if self.status_override and not self.status_reason.strip():
            errors["status_reason"] = _("Give the reason for the status set by hand.")
        if self.predecessor_id and self.pk and self.predecessor_id == self.pk:
            errors["predecessor"] = _("A convention cannot renew itself.")
        if errors:
            raise ValidationError(errors)


class Signatory(models.Model):
    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="signatory_set",
        verbose_name=_("convention"),
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="signatures", verbose_name=_("partner")
    )
    signed_on = models.DateField(_("signature date"), null=True, blank=True)
    signer_name = models.CharField(
        _("signed by"), max_length=200, blank=True, validators=[no_control_characters]
    )
    signer_title = models.CharField(
        _("as"), max_length=200, blank=True, validators=[no_control_characters]
    )

    class Meta:
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")
        ordering = ["convention", "partner__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "partner"],
                name="signatory_unique_per_convention",
                violation_error_message=_("This partner already signed this convention."),
            ),
        ]

    def __str__(self):
        return f"{self.partner} — {self.convention}"


class OrderedInConvention(models.Model):
    """An item of a convention, kept in the order the convention gives it."""

    position = models.PositiveSmallIntegerField(_("position"), default=1)

    class Meta:
        abstract = True
        ordering = ["convention", "position", "pk"]


class Domain(OrderedInConvention):
    convention = models.ForeignKey(
        Convention, on_delete=models.CASCADE, related_name="domains", verbose_name=_("convention")
    )
    name = models.CharField(_("name"), max_length=200, validators=[no_control_characters])

    class Meta(OrderedInConvention.Meta):
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "name"],
                name="domain_unique_name",
                violation_error_message=_("This convention already has a domain of that name."),
            ),
        ]

    def __str__(self):
        return self.name


class Challenge(OrderedInConvention):
    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="challenges",
        verbose_name=_("convention"),
    )
    title = models.CharField(_("title"), max_length=300, validators=[no_control_characters])

    class Meta(OrderedInConvention.Meta):
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "title"],
                name="challenge_unique_title",
                violation_error_message=_("This convention already has a challenge of that title."),
            ),
        ]

    def __str__(self):
        return self.title


class StrategicObjective(models.Model):
    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="objectives",
        verbose_name=_("convention"),
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=400, validators=[no_control_characters])
    challenges = models.ManyToManyField(
        Challenge, blank=True, related_name="objectives", verbose_name=_("challenges")
    )
    domains = models.ManyToManyField(
        Domain, blank=True, related_name="objectives", verbose_name=_("domains")
    )

    class Meta:
        verbose_name = _("strategic objective")
        verbose_name_plural = _("strategic objectives")
        ordering = ["convention", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "number"],
                name="objective_unique_number",
                violation_error_message=_(
                    "This convention already has an objective of that number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="objective_number_positive",
                violation_error_message=_("The number starts at 1."),
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


def keep_links_within_convention(field):
    """Refuse links of `field`, a many-to-many field between two models of conventions, to
    another convention's objects, from either side and whatever the code that adds them: the
    forms offer only the right ones, this guards every other way in."""

    def guard(sender, instance, action, model, pk_set, **kwargs):
        if action != "pre_add" or not pk_set:
            return
        others = model._default_manager.filter(pk__in=pk_set)
        if others.exclude(convention_id=instance.convention_id).exists():
            raise ValidationError(_("Link only objects of the same convention."))

    m2m_changed.connect(guard, sender=field.remote_field.through, weak=False)


keep_links_within_convention(StrategicObjective._meta.get_field("challenges"))
keep_links_within_convention(StrategicObjective._meta.get_field("domains"))


class Membership(models.Model):
    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("coordinator")
        PILOT = "pilot", _("pilot")
        ELECTED = "elected", _("elected official")
        CAF_STAFF = "caf_staff", _("CAF staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("convention"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["convention", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "convention"],
                name="membership_unique",
                violation_error_message=_("This user is already a member of this convention."),
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.convention} ({self.get_role_display()})"


class CafMembership(models.Model):
    """A user's standing at a CAF: read access to every convention the CAF holds and, for a
    manager, their funding — without one membership per convention."""

    class Role(models.TextChoices):
        STAFF = "staff", _("CAF staff")
        MANAGER = "manager", _("CAF manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="caf_memberships",
        verbose_name=_("user"),
    )
    caf = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="caf_memberships",
        limit_choices_to={"kind": "caf"},
        verbose_name=_("CAF"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("CAF membership")
        verbose_name_plural = _("CAF memberships")
        ordering = ["caf", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "caf"],
                name="caf_membership_unique",
                violation_error_message=_("This user is already a member of this CAF."),
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.caf} ({self.get_role_display()})"

    def clean(self):
        if self.caf_id and self.caf.kind != Partner.Kind.CAF:
            raise ValidationError({"caf": _("Choose a partner of kind CAF.")})
