import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/Oslo.")


class Territory(models.Model):
    """A service area; customers' sites and resources belong to one."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "territories"

    def __str__(self) -> str:
        return self.name


class ServiceAccount(models.Model):
    """A customer's site: where the technician goes."""

    name = models.CharField(max_length=200)
    address = models.TextField(help_text="Street, postal code, city, country.")
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="accounts")
    latitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text="Leave empty to look it up from the address.",
    )
    longitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text="Leave empty to look it up from the address.",
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="IANA name such as America/Los_Angeles; found from the location when empty.",
    )
    location_error = models.CharField(
        max_length=300,
        blank=True,
        editable=False,
        help_text="Why the address could not be located, when it could not.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__isnull=False, longitude__isnull=False),
                name="service_account_location_complete",
                violation_error_message="Give both latitude and longitude, or neither.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_location(self) -> bool:
        return self.latitude is None or self.longitude is None

    @property
    def point(self) -> tuple[float, float] | None:
        if self.needs_location:
            return None
        return (self.latitude, self.longitude)
