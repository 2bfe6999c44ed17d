"""Pings are kept LOCATION_RETENTION_DAYS, then removed by the hourly beat task and by
`manage.py purge_locations`, never in one long statement that would lock the table.

On PostgreSQL the unit is a UTC day: a day's partition is dropped once all of it is older
than the cutoff (a catalogue change that takes a moment whatever the day holds), so a ping
goes between RETENTION and RETENTION + 1 days after it was recorded. Elsewhere (SQLite under
`make run`) rows go in batches of a few thousand, each its own short transaction."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from tracking import partitions
from tracking.models import Ping

BATCH = 5000


@dataclass
class Purged:
    days: list[date] = field(default_factory=list)  # partitions dropped (PostgreSQL)
    rows: int = 0  # rows deleted one batch at a time (other databases)


def purge(*, older_than_days: int, now: datetime | None = None) -> Purged:
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    if partitions.partitioned():
        return Purged(days=partitions.drop_before(cutoff))
    purged = Purged()
    old = Ping.objects.filter(recorded_at__lt=cutoff)
    while keys := list(old.values_list("device_id", "recorded_at", "point_id")[:BATCH]):
        deleted, _ = Ping.objects.filter(pk__in=keys).delete()
        purged.rows += deleted
    return purged
