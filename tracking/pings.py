"""Writing pings (the ingest worker's part of tracking.ingest): one batch in one statement,
`INSERT ... ON CONFLICT DO NOTHING` (Django's bulk_create with ignore_conflicts; on PostgreSQL
it sends the rows as arrays, `INSERT ... SELECT * FROM UNNEST(...)`), then the technician's
latest position moved forward, and the customer told when that makes a notice due
(tracking.notices)."""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from django.db import IntegrityError, transaction

from tracking import notices, partitions, positions
from tracking.models import Ping

log = logging.getLogger(__name__)

# A point travels to the worker as a JSON list: its id, recorded_at (ISO 8601, UTC), then these.
MEASURES = ("latitude", "longitude", "accuracy", "speed", "heading", "altitude", "battery")


def store(device_id: int, resource_id: int, received_at: str, rows: Sequence[Sequence]) -> int:
    """Insert a batch (points already stored are skipped), then move the technician's latest
    position forward to its newest point and send the notices that makes due. Safe to run
    again with the same batch."""
    received = datetime.fromisoformat(received_at)
    pings = [
        Ping(
            device_id=device_id,
            resource_id=resource_id,
            point_id=UUID(point_id),
            recorded_at=datetime.fromisoformat(recorded_at),
            received_at=received,
            **dict(zip(MEASURES, measures, strict=True)),
        )
        for point_id, recorded_at, *measures in rows
    ]
    if not pings:
        return 0
    try:
        with transaction.atomic():
            Ping.objects.bulk_create(pings, ignore_conflicts=True)
    except IntegrityError as exc:
        if not partitions.is_missing_partition(exc):
            raise
        made = partitions.create({p.recorded_at.astimezone(UTC).date() for p in pings})
        log.warning("Made the missing ping partitions of %s", ", ".join(map(str, made)))
        Ping.objects.bulk_create(pings, ignore_conflicts=True)
    newest = max(pings, key=lambda p: p.recorded_at)
    kept = {name: getattr(newest, name) for name in positions.Position.__dataclass_fields__}
    latest = positions.Position(**kept)
    # Only a batch that moved the position can make a notice due: a late or resent one
    # (a redelivered batch) changes nothing the last evaluation did not see.
    if positions.advance(resource_id, latest):
        notices.position_moved(resource_id, latest)
    return len(pings)
