"""Celery tasks of tracking: ids and plain data in, a call to a module, safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from tracking import partitions, pings, retention

# While the database (or the Redis of the latest positions) cannot be reached, a batch waits
# and tries again for as long as that lasts, never longer between tries than a quarter of the
# visibility timeout, or the broker would hand the waiting message to another worker too.
RETRY_MAX_WAIT = max(1, min(30, settings.CELERY_VISIBILITY_TIMEOUT // 4))
UNREACHABLE = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)


# On the `ingest` queue (CELERY_TASK_ROUTES). Acknowledged only once its batch is committed;
# a worker killed mid-batch leaves it unacknowledged, and the broker delivers it again after
# the visibility timeout (a worker that is told to stop hands it back at once). Storing a
# batch again is harmless (tracking.pings).
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def store_pings(
    self, device_id: int, resource_id: int, received_at: str, rows: list[list], seen: bool = False
) -> int:
    try:
        return pings.store(device_id, resource_id, received_at, rows, seen=seen)
    except UNREACHABLE as exc:
        if self.request.is_eager:
            raise  # run in the request (make run): it fails, and the device sends again
        raise self.retry(exc=exc, countdown=min(RETRY_MAX_WAIT, 2**self.request.retries)) from exc


@shared_task(acks_late=True)
def create_location_partitions() -> int:
    return len(partitions.create(partitions.window(timezone.now())))


@shared_task(acks_late=True)
def purge_locations() -> dict:
    purged = retention.purge(older_than_days=settings.LOCATION_RETENTION_DAYS)
    return {"days_dropped": [str(day) for day in purged.days], "rows_deleted": purged.rows}
