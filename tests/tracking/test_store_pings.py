"""The worker's write (tracking.pings.store): one INSERT per batch, whatever its size; a batch
stored again adds nothing; a point of a day that has no partition yet gets one."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.tracking.conftest import pair
from tracking import partitions, pings, positions
from tracking.models import Ping

pytestmark = pytest.mark.django_db


def rows(n: int, start: datetime, **fields) -> list[list]:
    """Rows as the view queues them: id, recorded_at (ISO, UTC), then the measures."""
    measures = {
        "latitude": 47.6,
        "longitude": -122.3,
        "accuracy": 8.0,
        "speed": None,
        "heading": 90.0,
        "altitude": None,
        "battery": 81.0,
    } | fields
    return [
        [
            f"00000000-0000-4000-8000-{i:012x}",
            (start + i * timedelta(seconds=5)).isoformat(),
            *(measures[name] for name in pings.MEASURES),
        ]
        for i in range(n)
    ]


def inserts(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith("INSERT")]


@pytest.mark.parametrize("size", [1, 200])
def test_it_stores_a_batch_in_one_statement(technician, size):
    device = pair(technician).device
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    partitions.create({start.date(), (start + size * timedelta(seconds=5)).date()})

    with CaptureQueriesContext(connection) as queries:
        assert pings.store(device.pk, technician.pk, start.isoformat(), rows(size, start)) == size

    assert len(inserts(queries)) == 1
    assert Ping.objects.filter(device=device).count() == size
    newest = Ping.objects.filter(device=device).latest("recorded_at")
    assert newest.recorded_at == start + (size - 1) * timedelta(seconds=5)
    assert (newest.latitude, newest.speed, newest.battery) == (47.6, None, 81.0)
    assert positions.latest(technician.pk).recorded_at == newest.recorded_at


def test_a_batch_stored_again_adds_nothing(technician):
    device = pair(technician).device
    start = datetime.now(UTC) - timedelta(hours=1)
    batch = rows(20, start)
    pings.store(device.pk, technician.pk, start.isoformat(), batch)

    # Whole numbers, as JSON may carry them, are stored as the same floats.
    again = [[*row[:2], *(int(v) if isinstance(v, float) else v for v in row[2:])] for row in batch]
    pings.store(device.pk, technician.pk, start.isoformat(), again)

    assert Ping.objects.filter(device=device).count() == 20


@pytest.mark.skipif(not partitions.partitioned(), reason="partitions are PostgreSQL's")
def test_a_point_of_a_day_without_partition_gets_one(technician):
    device = pair(technician).device
    later = datetime.now(UTC) + timedelta(days=partitions.DAYS_AHEAD + 3)
    assert later.date() not in partitions.existing()

    pings.store(device.pk, technician.pk, later.isoformat(), rows(3, later))

    assert later.date() in partitions.existing()
    assert Ping.objects.filter(device=device).count() == 3
