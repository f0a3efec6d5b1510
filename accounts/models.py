from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conventions.models import Convention, Membership
from ctg_portal.validators import no_control_characters

# An invitation link works once, for a week.
INVITATION_VALIDITY = timedelta(days=7)


class InvitationQuerySet(models.QuerySet):
    def pending(self, now):
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """A coordinator's invitation of a new person to a convention.

    The account and its membership exist from the invitation on (the sheets a pilot will pilot
    can name them); the account has no usable password until the invitee chooses one through
    the one-time link. Only the link's digest is stored.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("revoked")

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("convention"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("invited person"),
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("sent on"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires on"))
    accepted_at = models.DateTimeField(_("accepted on"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked on"), null=True, blank=True)
    sent_count = models.PositiveSmallIntegerField(_("e-mails sent"), default=1)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_not_accepted_and_revoked",
                violation_error_message=_("An invitation is either accepted or revoked."),
            ),
        ]

    def __str__(self):
        return f"{self.email} — {self.convention}"

    def state(self, now=None):
        now = now or timezone.now()
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if self.expires_at <= now:
            return self.State.EXPIRED
        return self.State.PENDING

    def get_state_display(self, now=None):
        return self.State(self.state(now)).label


class NotificationSettings(models.Model):
    """What a user chose to receive by e-mail (every kind on by default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_settings",
        verbose_name=_("user"),
    )
    weekly_digest = models.BooleanField(
        _("weekly digest"),
        default=True,
        help_text=_(
            "Steps due within 14 days or late, sheets without a note for 90 days, open "
            "decisions you own."
        ),
    )
    sheet_assigned = models.BooleanField(
        _("new sheet to pilot"),
        default=True,
        help_text=_("An e-mail when you are named pilot of a sheet."),
    )

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(self.user)

    @classmethod
    def wants(cls, user, kind: str) -> bool:
        """Whether `user` receives e-mails of `kind` (a field name above)."""
        settings_row = cls.objects.filter(user=user).first()
        return True if settings_row is None else getattr(settings_row, kind)


class SentNotification(models.Model):
    """One e-mail sent to one user, recorded in the transaction that claims it: the unique key
    is what makes a command run twice (or on two servers) send it once."""

    class Kind(models.TextChoices):
        WEEKLY_DIGEST = "weekly_digest", _("weekly digest")
        SHEET_ASSIGNED = "sheet_assigned", _("new sheet to pilot")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sent_notifications",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=100, help_text=_("What was sent: a week, a sheet."))
    sent_at = models.DateTimeField(_("sent on"), default=timezone.now)

    class Meta:
        verbose_name = _("sent e-mail")
        verbose_name_plural = _("sent e-mails")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "key"],
                name="sent_notification_once",
                violation_error_message=_("This e-mail was already sent."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.user} ({self.key})"


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        """Tokens not revoked: the ones that authenticate, and that count in the limit."""
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal token for the read-only API (/api/v1/), sent as `Authorization: Bearer
    ctg_<prefix>_<secret>`. Only the secret's SHA-256 digest is stored: the secret is 32 random
    bytes, so a fast hash is enough (nothing to guess), and the token is shown once. The prefix
    is not secret: it finds the row and names the token on the account page."""

    # A person keeps a handful of tools connected: more live tokens is a leak waiting to happen.
    MAX_LIVE = 20

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100, validators=[no_control_characters])
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created on"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used on"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked on"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.prefix})"
