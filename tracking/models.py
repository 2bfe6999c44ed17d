from django.conf import settings
from django.db import models

from scheduling.models import Resource


class Device(models.Model):
    """A technician's phone or tracker app, paired in admin with a one-time code and then
    known by a token. Only hashes of the code and the token are stored."""

    resource = models.ForeignKey(
        Resource,
        on_delete=models.CASCADE,
        related_name="devices",
        verbose_name="technician",
    )
    name = models.CharField(max_length=100, help_text="For example “Sam's phone”.")
    pairing_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    pairing_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # NULL until paired: unique, yet many devices may be waiting for their first token.
    token_hash = models.CharField(  # noqa: DJ001
        max_length=64, unique=True, null=True, editable=False
    )
    paired_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["resource", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.resource})"
