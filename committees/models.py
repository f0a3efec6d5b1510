"""Steering committees: meetings (COPIL, COTECH, working groups), who attended, their agenda,
and the decisions they took — a decision may change the sheets it concerns
(committees.services.apply_to_sheets, through the sheets' own save)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, ExpressionWrapper, F, Q
from django.db.models.signals import m2m_changed
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from actions.models import ActionSheet
from conventions.models import Convention, Partner, StrategicObjective
from ctg_portal.validators import no_control_characters


def prefixed(condition_kwargs, prefix):
    """`condition_kwargs` as lookups from a related model (`prefix`: "decisions__")."""
    return {f"{prefix}{name}": value for name, value in condition_kwargs.items()}


class MeetingQuerySet(models.QuerySet):
    def upcoming(self, now):
        """Meetings from `now` on (whatever their state: a cancelled one is shown as such)."""
        return self.filter(starts_at__gte=now)

    def past(self, now):
        """Meetings before `now`."""
        return self.filter(starts_at__lt=now)

    def not_cancelled(self):
        return self.exclude(state=Meeting.State.CANCELLED)

    def upcoming_first(self, now):
        """Annotate `is_upcoming`; the upcoming meetings first, soonest first, then the past
        ones, latest first: the order of the meetings list."""
        upcoming = Q(starts_at__gte=now)
        return self.annotate(
            is_upcoming=ExpressionWrapper(upcoming, output_field=models.BooleanField())
        ).order_by(
            F("is_upcoming").desc(),
            models.Case(models.When(upcoming, then=F("starts_at"))).asc(nulls_last=True),
            F("starts_at").desc(),
            "pk",
        )

    def with_decision_counts(self, today):
        """Annotate `decision_count`, `open_decision_count` and `overdue_decision_count`."""
        return self.annotate(
            decision_count=Count("decisions"),
            open_decision_count=Count(
                "decisions", filter=Q(**prefixed(DecisionQuerySet.open_lookups(), "decisions__"))
            ),
            overdue_decision_count=Count(
                "decisions",
                filter=Q(**prefixed(DecisionQuerySet.overdue_lookups(today), "decisions__")),
            ),
        )


class Meeting(models.Model):
    class Kind(models.TextChoices):
        COPIL = "copil", _("COPIL")
        COTECH = "cotech", _("COTECH")
        WORKING_GROUP = "working_group", _("thematic working group")
        OTHER = "other", pgettext_lazy("meeting kind", "other")

    class State(models.TextChoices):
        PLANNED = "planned", pgettext_lazy("meeting", "planned")
        HELD = "held", pgettext_lazy("meeting", "held")
        CANCELLED = "cancelled", pgettext_lazy("meeting", "cancelled")

    convention = models.ForeignKey(
        Convention, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("convention")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.COPIL)
    title = models.CharField(_("title"), max_length=300, validators=[no_control_characters])
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(
        _("place"), max_length=300, blank=True, validators=[no_control_characters]
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PLANNED
    )
    minutes = models.TextField(_("minutes"), blank=True, validators=[no_control_characters])
    is_public = models.BooleanField(
        _("publishable"),
        default=False,
        help_text=_("A publishable meeting may appear on the public page, without names."),
    )
    # Moved by every save (committees.services.save_meeting): an edit opened on an older
    # version is refused and shown what changed.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    history = HistoricalRecords()
    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["convention", "starts_at", "pk"]

    def __str__(self):
        return f"{self.label} — {self.title}"

    @property
    def label(self):
        """ "COPIL du 14/03/2025"."""
        return MEETING_LABELS[self.kind] % {"date": self.local_date.strftime("%d/%m/%Y")}

    @property
    def local_date(self):
        return timezone.localtime(self.starts_at).date()

    def decision_reason(self):
        """The reason a sheet's history gives for a change this meeting decided: "décision du
        COPIL du 14/03/2025"."""
        return str(DECISION_REASONS[self.kind]) % {"date": self.local_date.strftime("%d/%m/%Y")}


MEETING_LABELS = {
    Meeting.Kind.COPIL: _("COPIL of %(date)s"),
    Meeting.Kind.COTECH: _("COTECH of %(date)s"),
    Meeting.Kind.WORKING_GROUP: _("working group of %(date)s"),
    Meeting.Kind.OTHER: _("meeting of %(date)s"),
}
DECISION_REASONS = {
    Meeting.Kind.COPIL: _("decision of the COPIL of %(date)s"),
    Meeting.Kind.COTECH: _("decision of the COTECH of %(date)s"),
    Meeting.Kind.WORKING_GROUP: _("decision of the working group of %(date)s"),
    Meeting.Kind.OTHER: _("decision of the meeting of %(date)s"),
}


class Attendance(models.Model):
    """A member of the convention or a partner organisation at a meeting: exactly one."""

    class Status(models.TextChoices):
        INVITED = "invited", pgettext_lazy("attendance", "invited")
        PRESENT = "present", pgettext_lazy("attendance", "present")
        EXCUSED = "excused", pgettext_lazy("attendance", "excused")
        ABSENT = "absent", pgettext_lazy("attendance", "absent")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("meeting")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="meeting_attendances",
        verbose_name=_("member"),
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_attendances",
        verbose_name=_("organisation"),
    )
    status = models.CharField(
        _("attendance"), max_length=10, choices=Status.choices, default=Status.INVITED
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["meeting", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, partner__isnull=True)
                | Q(user__isnull=True, partner__isnull=False),
                name="attendance_member_or_partner",
                violation_error_message=_("Choose a member or an organisation: one of them."),
            ),
            # NULLs never clash: one row per member, one per organisation.
            models.UniqueConstraint(
                fields=["meeting", "user"],
                name="attendance_unique_member",
                violation_error_message=_("This member is already listed for this meeting."),
            ),
            models.UniqueConstraint(
                fields=["meeting", "partner"],
                name="attendance_unique_partner",
                violation_error_message=_("This organisation is already listed for this meeting."),
            ),
        ]

    def __str__(self):
        who = self.user if self.user_id else self.partner
        return f"{who} — {self.get_status_display()}"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("meeting")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    title = models.CharField(_("title"), max_length=300, validators=[no_control_characters])
    notes = models.TextField(_("notes"), blank=True, validators=[no_control_characters])
    objectives = models.ManyToManyField(
        StrategicObjective,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("strategic objectives"),
    )
    sheets = models.ManyToManyField(
        ActionSheet, blank=True, related_name="agenda_items", verbose_name=_("action sheets")
    )

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(position__gte=1),
                name="agenda_item_position_positive",
                violation_error_message=_("The position starts at 1."),
            ),
        ]

    def __str__(self):
        return f"{self.position}. {self.title}"


class DecisionQuerySet(models.QuerySet):
    @staticmethod
    def open_lookups():
        return {"state": Decision.State.OPEN}

    @staticmethod
    def overdue_lookups(today):
        """An overdue decision: still open and its due date passed — the one definition, for
        the meeting page, the list's counts, the dashboard and the sheet page."""
        return {"state": Decision.State.OPEN, "due_on__isnull": False, "due_on__lt": today}

    def open(self):
        return self.filter(**self.open_lookups())

    def overdue(self, today):
        return self.filter(**self.overdue_lookups(today))

    def with_overdue(self, today):
        """Annotate `is_overdue` (see `overdue`)."""
        return self.annotate(
            is_overdue=ExpressionWrapper(
                Q(**self.overdue_lookups(today)), output_field=models.BooleanField()
            )
        )


class Decision(models.Model):
    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("decision", "open")
        DONE = "done", pgettext_lazy("decision", "done")
        ABANDONED = "abandoned", pgettext_lazy("decision", "abandoned")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("meeting")
    )
    text = models.TextField(_("decision"), validators=[no_control_characters])
    sheets = models.ManyToManyField(
        ActionSheet, blank=True, related_name="decisions", verbose_name=_("action sheets")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_decisions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # The change the decision makes to its sheets, applied once (applied_at) through the
    # sheets' own save (committees.services.apply_to_sheets).
    new_status = models.CharField(
        _("new status of the sheets"),
        max_length=20,
        choices=ActionSheet.Status.choices,
        blank=True,
    )
    pilot_to_add = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pilot to add to the sheets"),
    )
    new_planned_start = models.DateField(_("new planned start"), null=True, blank=True)
    new_planned_end = models.DateField(_("new planned end"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied to the sheets on"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()
    objects = DecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(new_planned_start__isnull=True)
                | Q(new_planned_end__isnull=True)
                | Q(new_planned_start__lte=F("new_planned_end")),
                name="decision_start_before_end",
                violation_error_message=_(
                    "The new planned end must not come before the new planned start."
                ),
            ),
        ]

    def __str__(self):
        text = " ".join(self.text.split())
        return text if len(text) <= 80 else f"{text[:79]}…"

    CHANGE_FIELDS = ("new_status", "pilot_to_add", "new_planned_start", "new_planned_end")

    @property
    def changes_sheets(self):
        """True when the decision carries a change of its sheets."""
        return bool(
            self.new_status
            or self.pilot_to_add_id
            or self.new_planned_start
            or self.new_planned_end
        )

    def clean(self):
        if (
            self.new_planned_start
            and self.new_planned_end
            and self.new_planned_end < self.new_planned_start
        ):
            raise ValidationError(
                {
                    "new_planned_end": _(
                        "The new planned end must not come before the new planned start."
                    )
                }
            )


def convention_id_of(obj):
    """The convention of an agenda item or a decision (through its meeting), else its own."""
    if isinstance(obj, AgendaItem | Decision):
        return Meeting.objects.values_list("convention_id", flat=True).get(pk=obj.meeting_id)
    return obj.convention_id


def keep_links_within_meeting_convention(field):
    """Refuse links of `field` (agenda items' or decisions' sheets and objectives) to another
    convention's objects, from either side and whatever the code that adds them, as
    conventions.models.keep_links_within_convention does for links between two objects that
    hold their convention (here one side holds it through its meeting)."""

    def guard(sender, instance, action, reverse, model, pk_set, **kwargs):
        if action != "pre_add" or not pk_set:
            return
        # From the item: the sheets hold their convention; from a sheet: the items, through
        # their meeting.
        lookup = "meeting__convention_id" if reverse else "convention_id"
        others = model._default_manager.filter(pk__in=pk_set)
        if others.exclude(**{lookup: convention_id_of(instance)}).exists():
            raise ValidationError(_("Link only objects of the same convention."))

    m2m_changed.connect(guard, sender=field.remote_field.through, weak=False)


keep_links_within_meeting_convention(AgendaItem._meta.get_field("objectives"))
keep_links_within_meeting_convention(AgendaItem._meta.get_field("sheets"))
keep_links_within_meeting_convention(Decision._meta.get_field("sheets"))
