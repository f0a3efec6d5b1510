"""A printed report kept in the file storage (local disk or the S3 bucket, as the documents).

One row per convention and report name ("bilan-2024.pdf"): the key of the content it was built
from (a SHA-256 of the print page's HTML), its state and its file. A newer content claims the row
with its own key; a build that finishes for a key no longer wanted is thrown away
(printouts.services).
"""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from conventions.models import Convention


def stored_name(instance, filename):
    """printouts/<convention>/<random>-<name>: never guessable, never the same twice."""
    return f"printouts/{instance.convention_id}/{secrets.token_hex(8)}-{filename}"


class Printout(models.Model):
    class State(models.TextChoices):
        BUILDING = "building", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    convention = models.ForeignKey(
        Convention,
        on_delete=models.CASCADE,
        related_name="printouts",
        verbose_name=_("convention"),
    )
    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(_("content key"), max_length=64)
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    file = models.FileField(_("file"), upload_to=stored_name, max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    started_at = models.DateTimeField(_("started on"))
    built_at = models.DateTimeField(_("built on"), null=True, blank=True)
    build_seconds = models.FloatField(_("build time (seconds)"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("printout")
        verbose_name_plural = _("printouts")
        ordering = ["convention", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "name"],
                name="printout_unique_convention_name",
                violation_error_message=_("This convention already has a printout of that name."),
            ),
        ]

    def __str__(self):
        return f"{self.convention} — {self.name}"
