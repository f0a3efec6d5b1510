"""The documents of a convention: the signed convention, délibérations, diagnostic, minutes,
bilans, justificatifs — a file (checked by its content, stored under a random name) or a link,
attached to the convention, one of its sheets, one of its meetings or one funding year.

A deleted document is only marked so (`deleted_at`): the default manager hides it, the admin
shows and restores it, its history keeps it.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from actions.models import ActionSheet
from committees.models import Meeting
from conventions.models import MAX_YEAR, MIN_YEAR, Convention
from ctg_portal.validators import no_control_characters

from .validation import label_of_content_type

# The links a document may be: web pages only (no javascript:, data:, file: or ftp:).
http_url = URLValidator(
    schemes=["http", "https"], message=_("Enter a web address (http or https).")
)


def stored_name(document, filename):
    """Where an uploaded file is stored: under its convention, a random name without the
    original one (kept in `original_name`) nor its extension: nothing a user typed reaches
    the file system."""
    return f"documents/{document.convention_id}/{uuid.uuid4().hex}"


class DocumentQuerySet(models.QuerySet):
    def of_convention(self, convention):
        return self.filter(convention=convention)

    def publishable(self):
        """What the public page may show."""
        return self.filter(publishable=True)

    def attached_to_convention(self):
        """Attached to the convention itself: no sheet, meeting or year."""
        return self.filter(sheet__isnull=True, meeting__isnull=True, funding_year__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)


class LiveDocumentManager(models.Manager.from_queryset(DocumentQuerySet)):
    """The default manager: deleted documents are left out everywhere (pages, the related
    managers such as `convention.documents`); `Document.all_objects` keeps them."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class Document(models.Model):
    class Kind(models.TextChoices):
        SIGNED_CONVENTION = "signed_convention", pgettext_lazy("document kind", "signed convention")
        DELIBERATION = "deliberation", pgettext_lazy("document kind", "deliberation")
        DIAGNOSTIC = "diagnostic", pgettext_lazy("document kind", "diagnostic")
        MINUTES = "minutes", pgettext_lazy("document kind", "minutes")
        REVIEW = "review", pgettext_lazy("document kind", "review")
        VOUCHER = "voucher", pgettext_lazy("document kind", "supporting document")
        OTHER = "other", pgettext_lazy("document kind", "other")

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("convention"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("title"), max_length=300, validators=[no_control_characters])
    date = models.DateField(_("date"))
    file = models.FileField(
        pgettext_lazy("document", "file"), upload_to=stored_name, max_length=200, blank=True
    )
    url = models.URLField(
        pgettext_lazy("document", "link"), max_length=1000, blank=True, validators=[http_url]
    )
    original_name = models.CharField(
        _("file name"), max_length=255, blank=True, validators=[no_control_characters]
    )
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    sheet = models.ForeignKey(
        ActionSheet,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("action sheet"),
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=pgettext_lazy("document", "meeting"),
    )
    funding_year = models.PositiveSmallIntegerField(_("funding year"), null=True, blank=True)
    publishable = models.BooleanField(
        _("publishable"),
        default=False,
        help_text=_(
            "Publishable documents may appear on the public page; the others stay internal."
        ),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    uploaded_at = models.DateTimeField(_("added on"), auto_now_add=True)
    deleted_at = models.DateTimeField(_("deleted on"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("deleted by"),
    )

    history = HistoricalRecords()
    objects = LiveDocumentManager()
    all_objects = models.Manager.from_queryset(DocumentQuerySet)()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["convention", "-date"], name="document_convention_date")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(url="")) | (~Q(file="") & Q(url="")),
                name="document_file_or_link",
                violation_error_message=_("A document is a file or a link: give one of the two."),
            ),
            models.CheckConstraint(
                condition=(
                    (Q(sheet__isnull=True) & Q(meeting__isnull=True))
                    | (Q(sheet__isnull=True) & Q(funding_year__isnull=True))
                    | (Q(meeting__isnull=True) & Q(funding_year__isnull=True))
                ),
                name="document_one_attachment",
                violation_error_message=_(
                    "A document is attached to the convention, or to one sheet, one meeting or "
                    "one funding year."
                ),
            ),
            models.CheckConstraint(
                condition=Q(funding_year__isnull=True)
                | Q(funding_year__gte=MIN_YEAR, funding_year__lte=MAX_YEAR),
                name="document_year_plausible",
                violation_error_message=_("The year must lie between 2000 and 2100."),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_link(self):
        return not self.file

    @property
    def file_label(self):
        """ "PDF", "XLSX"…: the type found in the file's content."""
        return label_of_content_type(self.content_type)

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    def clean(self):
        """What the database cannot check: the sheet and the meeting belong to the document's
        convention, the year lies within its period."""
        errors = {}
        if not self.convention_id:
            return
        if self.sheet_id and self.sheet.convention_id != self.convention_id:
            errors["sheet"] = _("Choose a sheet of this document's convention.")
        if self.meeting_id and self.meeting.convention_id != self.convention_id:
            errors["meeting"] = _("Choose a meeting of this document's convention.")
        if self.funding_year is not None:
            convention = self.convention
            if not convention.start_year <= self.funding_year <= convention.end_year:
                errors["funding_year"] = _(
                    "Choose a year of the convention (%(start)s to %(end)s)."
                ) % {"start": convention.start_year, "end": convention.end_year}
        if errors:
            raise ValidationError(errors)
