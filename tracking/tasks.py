"""Celery tasks of tracking: ids and plain data in, a call to a module, safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from tracking import partitions, pings, retention


# On the `ingest` queue (CELERY_TASK_ROUTES). Acknowledged only once its batch is committed;
# a worker killed mid-batch leaves it unacknowledged, and the broker delivers it again after
# the visibility timeout (a worker that is told to stop hands it back at once). While the
# database is unreachable it waits and tries again, for as long as that lasts, never longer
# between tries than a quarter of the visibility timeout or the broker would hand the
# waiting message to another worker as well.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    retry_backoff_max=max(1, min(30, settings.CELERY_VISIBILITY_TIMEOUT // 4)),
    max_retries=None,
)
def store_pings(device_id: int, resource_id: int, received_at: str, rows: list[list]) -> int:
    return pings.store(device_id, resource_id, received_at, rows)


@shared_task(acks_late=True)
def create_location_partitions() -> int:
    return len(partitions.create(partitions.window(timezone.now())))


@shared_task(acks_late=True)
def purge_locations() -> int:
    return retention.purge(older_than_days=settings.LOCATION_RETENTION_DAYS)
