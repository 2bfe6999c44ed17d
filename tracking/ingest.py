"""Location ingest: a request's points are checked one by one, those that may be kept are put
on the `ingest` queue as one task, and a worker stores them in bulk and moves the
technician's latest position forward.

    device --POST--> view: authenticate, count, check, queue (202) --> Redis (ingest queue)
        --> worker: INSERT ... ON CONFLICT DO NOTHING (one statement), commit, ack
        --> latest position, forward only (tracking.positions)

The view writes nothing to the database, so accepted means "safely on the queue"; the worker
acknowledges a batch only after it is committed (acks_late) and a batch whose worker died is
delivered again, which the insert makes harmless: a point already stored is skipped by its key
(device, recorded_at, point id). The open formats (tracking.formats) are turned into the same
points and take the same path."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from celery.result import EagerResult
from django.conf import settings
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from tracking import devices, ingest_queue, pings, privacy
from tracking.models import Device
from tracking.tasks import store_pings

log = logging.getLogger(__name__)

MAX_POINTS = 200
# A clock a little ahead is tolerated; a point dated further in the future is refused, not
# allowed to hold the latest position until that time comes.
FUTURE_TOLERANCE = timedelta(minutes=2)


class Point(BaseModel):
    """One location as a device reports it. Beyond these ranges a point is also refused when
    it is 0,0 (a fix that never happened), less accurate than INGEST_MAX_ACCURACY_M, faster
    than INGEST_MAX_SPEED_MPS, dated more than 2 minutes ahead or older than
    LOCATION_RETENTION_DAYS, or recorded off duty (INGEST_ACCEPT_WHEN)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    id: UUID = Field(description="The device's id of this point; a point sent again keeps it.")
    latitude: float = Field(ge=-90, le=90, description="Degrees (WGS 84).")
    longitude: float = Field(ge=-180, le=180, description="Degrees (WGS 84).")
    accuracy: float = Field(ge=0, description="Radius in metres (68 % confidence).")
    recorded_at: AwareDatetime = Field(description="When the device measured it, with offset.")
    speed: float | None = Field(default=None, ge=0, description="Metres per second.")
    heading: float | None = Field(default=None, ge=0, le=360, description="Degrees from north.")
    altitude: float | None = Field(default=None, description="Metres above sea level.")
    battery: float | None = Field(default=None, ge=0, le=100, description="Per cent.")


@dataclass(frozen=True)
class Rejection:
    index: int
    field: str | None
    reason: str


@dataclass
class Outcome:
    accepted: int = 0
    rejected: list[Rejection] = field(default_factory=list)


class QueueUnavailable(Exception):
    """The broker did not take the batch: nothing was accepted; the device sends it again."""


def accept(device: Device, points: Sequence[Any], *, now: datetime) -> Outcome:
    """Check each point, queue those that may be kept (one task), and say what was taken.
    A bad point never costs the good ones of its batch."""
    outcome = Outcome()
    valid: list[Point] = []
    indexes: list[int] = []
    for index, raw in enumerate(points):
        point, rejection = check(index, raw, now=now)
        if rejection is not None:
            outcome.rejected.append(rejection)
        else:
            valid.append(point)
            indexes.append(index)
    kept = privacy.keep(device.resource, [p.recorded_at for p in valid]) if valid else []
    rows = []
    for point, index, keep in zip(valid, indexes, kept, strict=True):
        if keep:
            rows.append(_row(point))
        else:
            outcome.rejected.append(Rejection(index, "recorded_at", "off duty: not kept"))
    seen = devices.seen_due(device, now)
    if seen:
        devices.seen_asked(device.pk, now)
    if rows:
        _publish(device, rows, received_at=now, seen=seen)
    elif seen:
        devices.note_seen(device.pk, now)  # nothing to queue: the one write of this request
    outcome.accepted = len(rows)
    outcome.rejected.sort(key=lambda r: r.index)
    return outcome


def check(index: int, raw: Any, *, now: datetime) -> tuple[Point | None, Rejection | None]:
    """The point, or why it is refused (its first fault, naming the field)."""
    try:
        point = Point.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_context=False, include_input=False)[0]
        name = ".".join(str(part) for part in error["loc"]) or None
        return None, Rejection(index, name, error["msg"])
    fault = _fault(point, now)
    if fault is not None:
        return None, Rejection(index, *fault)
    return point, None


def _fault(point: Point, now: datetime) -> tuple[str, str] | None:
    if point.latitude == 0 and point.longitude == 0:
        return "latitude", "0,0 is no position (a fix that never happened)"
    if point.accuracy > settings.INGEST_MAX_ACCURACY_M:
        return "accuracy", f"worse than {settings.INGEST_MAX_ACCURACY_M:g} m"
    if point.recorded_at > now + FUTURE_TOLERANCE:
        return "recorded_at", "more than 2 minutes in the future"
    if point.recorded_at < now - timedelta(days=settings.LOCATION_RETENTION_DAYS):
        return "recorded_at", f"older than {settings.LOCATION_RETENTION_DAYS} days"
    if point.speed is not None and point.speed > settings.INGEST_MAX_SPEED_MPS:
        return "speed", f"faster than {settings.INGEST_MAX_SPEED_MPS:g} m/s"
    return None


def _row(point: Point) -> list:
    """A point as the task carries it (JSON), as tracking.pings.store reads it."""
    when = point.recorded_at.astimezone(UTC).isoformat()
    return [str(point.id), when, *(getattr(point, name) for name in pings.MEASURES)]


def _publish(device: Device, rows: list[list], *, received_at: datetime, seen: bool) -> None:
    try:
        with ingest_queue.producer() as producer:
            result = store_pings.apply_async(
                (device.pk, device.resource_id, received_at.isoformat(), rows),
                # The worker moves the device's "last seen" on with the batch when it is due.
                {"seen": True} if seen else None,
                # Celery otherwise writes a repr of the points into the message's headers for
                # its logs: a third of the publishing CPU, and locations in the logs.
                argsrepr="",
                kwargsrepr="",
                declare=ingest_queue.declare(producer),
                producer=producer,
            )
    except ingest_queue.UNAVAILABLE as exc:
        # Unreachable after the publish's own retries, or full (Redis refuses writes rather
        # than evict queued batches): nothing is accepted, and the device sends it again.
        log.warning("Location batch not queued (%s): %s", type(exc).__name__, exc)
        raise QueueUnavailable from exc
    if isinstance(result, EagerResult):
        # Run in-process (`make run`): a failed store is this request's failure, as a failed
        # publish is, and the device sends the batch again.
        result.get()
