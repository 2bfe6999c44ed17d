from django.apps import AppConfig


class TrackingConfig(AppConfig):
    """Technician locations and status from the mobile app (a later issue)."""

    name = "tracking"
    verbose_name = "Tracking"
