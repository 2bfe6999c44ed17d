"""Where each technician was last seen: one record per technician that only ever moves
forward in time. A late or resent ping (a device flushing what it stored offline, a batch
delivered again after a worker died) is stored with the others but never moves it back.

The ingest worker calls `advance` after its pings are committed; the customer's map calls
`latest`, the dispatchers' `latest_many`. None of them scans the pings table.

In production the record is a Redis hash per technician and the compare-and-set is one Lua
script, atomic however many workers advance the same technician at once. Without Redis (`make
run`) it is a row of tracking.LatestPosition, moved by a conditional UPDATE, atomic too."""

import functools
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from tracking import live
from tracking.models import LatestPosition

KEY = "tracking:position:{}"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# KEYS[1] the technician's hash; ARGV: recorded_at in microseconds since the epoch, the
# position as JSON, the key's lifetime in seconds. Returns 1 when it moved, else 0. Equal
# times do not move it: a resent point changes nothing.
_ADVANCE = """
local current = redis.call('HGET', KEYS[1], 't')
if current and tonumber(current) >= tonumber(ARGV[1]) then
    return 0
end
redis.call('HSET', KEYS[1], 't', ARGV[1], 'p', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    accuracy: float
    recorded_at: datetime
    received_at: datetime
    speed: float | None = None
    heading: float | None = None


def advance(resource_id: int, position: Position) -> bool:
    """Make `position` the technician's latest unless one at least as recent is there;
    whether it moved."""
    client = live.client()
    if client is None:
        return _advance_in_database(resource_id, position)
    fields = asdict(position)
    fields["recorded_at"] = _micros(position.recorded_at)
    fields["received_at"] = _micros(position.received_at)
    # Kept as long as the pings: a position older than that is not one to show, and the key
    # of a technician who left does not stay forever.
    lifetime = settings.LOCATION_RETENTION_DAYS * 86400
    moved = _script(client)(
        keys=[KEY.format(resource_id)],
        args=[fields["recorded_at"], json.dumps(fields), lifetime],
    )
    return bool(moved)


def latest(resource_id: int) -> Position | None:
    """The technician's latest position, or None when none was ever reported."""
    client = live.client()
    if client is None:
        row = LatestPosition.objects.filter(resource_id=resource_id).first()
        return None if row is None else _from_row(row)
    raw = client.hget(KEY.format(resource_id), "p")
    return None if raw is None else _decode(raw)


def latest_many(resource_ids: Iterable[int]) -> dict[int, Position]:
    """The latest positions of several technicians (those with one), in one round trip to
    Redis or one query: the dispatchers' map shows the day's technicians together."""
    ids = list(resource_ids)
    client = live.client()
    if client is None:
        rows = LatestPosition.objects.filter(resource_id__in=ids)
        return {row.resource_id: _from_row(row) for row in rows}
    pipe = client.pipeline(transaction=False)
    for resource_id in ids:
        pipe.hget(KEY.format(resource_id), "p")
    return {rid: _decode(raw) for rid, raw in zip(ids, pipe.execute(), strict=True) if raw}


def _decode(raw: bytes) -> Position:
    fields = json.loads(raw)
    fields["recorded_at"] = _from_micros(fields["recorded_at"])
    fields["received_at"] = _from_micros(fields["received_at"])
    return Position(**fields)


@functools.cache
def _script(client):
    # register_script sends EVALSHA and loads the script again should Redis have lost it.
    return client.register_script(_ADVANCE)


def _advance_in_database(resource_id: int, position: Position) -> bool:
    fields = asdict(position)
    newer = LatestPosition.objects.filter(
        resource_id=resource_id, recorded_at__lt=position.recorded_at
    )
    if newer.update(**fields):
        return True
    try:
        with transaction.atomic():
            LatestPosition.objects.create(resource_id=resource_id, **fields)
    except IntegrityError:
        # There is one already, as recent (nothing to do) or made meanwhile (compare again).
        return bool(newer.update(**fields))
    return True


def _from_row(row: LatestPosition) -> Position:
    return Position(
        latitude=row.latitude,
        longitude=row.longitude,
        accuracy=row.accuracy,
        recorded_at=row.recorded_at,
        received_at=row.received_at,
        speed=row.speed,
        heading=row.heading,
    )


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _from_micros(micros: int) -> datetime:
    return _EPOCH + micros * _MICROSECOND
