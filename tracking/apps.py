from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TrackingConfig(AppConfig):
    """Technicians' devices, their locations (ingest, latest position, retention), the
    notices that tell customers where the technician is and, later, the live map."""

    name = "tracking"
    verbose_name = "Tracking"

    def ready(self) -> None:
        from scheduling import caches
        from scheduling.signals import appointment_transitioned
        from tracking import notices
        from tracking.models import Device

        # The location endpoints keep devices per process (tracking.devices): a pairing, an
        # edit or a deletion renews them everywhere once it commits.
        caches.watch(Device)
        post_migrate.connect(_create_partitions, sender=self, dispatch_uid="ping-partitions")
        appointment_transitioned.connect(notices.transitioned, dispatch_uid="tracking-notices")


def _create_partitions(using: str = "default", **kwargs) -> None:
    """After every migrate, the pings table has its day partitions for the whole window a
    point can be accepted for; the beat keeps them coming after that."""
    from django.db import connections
    from django.utils import timezone

    from tracking import partitions

    if using == "default" and partitions.TABLE in connections[using].introspection.table_names():
        partitions.create(partitions.window(timezone.now()))
