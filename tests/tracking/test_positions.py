"""The latest position of each technician moves forward only: late, out-of-order and resent
points are stored but never move it back. In Redis (production, and this suite) and in the
database (`make run`, no Redis), behind the one interface."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.tracking.conftest import batch, point, post
from tracking import positions
from tracking.models import LatestPosition, Ping
from tracking.positions import Position

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("anytime")]


@pytest.fixture(params=["redis", "database"])
def backend(request, settings):
    if request.param == "database":
        settings.REDIS_URL = ""  # as under `make run`
    return request.param


def at(seconds: float, latitude: float = 47.6) -> Position:
    moment = timezone.now() + timedelta(seconds=seconds)
    return Position(
        latitude=latitude, longitude=-122.3, accuracy=10.0, recorded_at=moment,
        received_at=timezone.now(), speed=5.0, heading=90.0,
    )  # fmt: skip


def test_there_is_none_before_the_first_point(technician, backend):
    assert positions.latest(technician.pk) is None


def test_it_moves_forward_and_never_back(technician, backend):
    assert positions.advance(technician.pk, at(-60, latitude=47.1)) is True
    assert positions.advance(technician.pk, at(-30, latitude=47.2)) is True
    assert positions.advance(technician.pk, at(-45, latitude=47.3)) is False  # late
    assert positions.advance(technician.pk, at(-30, latitude=47.4)) is False  # same time
    latest = positions.latest(technician.pk)
    assert latest == at(-30, latitude=47.2)


def test_each_technician_has_their_own(technician, backend):
    from tests.factories import ResourceFactory

    other = ResourceFactory()
    positions.advance(technician.pk, at(-10, latitude=47.1))
    positions.advance(other.pk, at(-20, latitude=47.9))
    assert positions.latest(technician.pk).latitude == 47.1
    assert positions.latest(other.pk).latitude == 47.9


def test_times_keep_their_microseconds(technician, backend):
    moment = timezone.now().replace(microsecond=123456)
    position = Position(47.6, -122.3, 5.0, moment, moment)
    positions.advance(technician.pk, position)
    assert positions.latest(technician.pk) == position
    assert positions.advance(technician.pk, Position(47.7, -122.3, 5.0, moment, moment)) is False


def test_racing_workers_leave_the_newest(technician):
    """Eight threads advance the same technician with shuffled times at once (Redis)."""
    offsets = list(range(-400, 0))
    random.shuffle(offsets)
    chunks = [offsets[i::8] for i in range(8)]

    def advance(chunk):
        for offset in chunk:
            positions.advance(technician.pk, at(offset, latitude=47 + offset / 1000))

    threads = [threading.Thread(target=advance, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert positions.latest(technician.pk) == at(-1, latitude=47 - 0.001)


def test_reading_it_never_touches_the_pings_table(technician, backend):
    positions.advance(technician.pk, at(-5))
    with CaptureQueriesContext(connection) as queries:
        positions.latest(technician.pk)
    assert all("tracking_ping" not in q["sql"] for q in queries.captured_queries)
    assert len(queries) == (0 if backend == "redis" else 1)


# --- Through the API --------------------------------------------------------------------------
def test_an_out_of_order_batch_leaves_its_newest_point(client, phone, eager, backend):
    now = timezone.now()
    points = [point(now - timedelta(seconds=s), latitude=47 + s / 100) for s in (30, 5, 20)]
    post(client, phone, {"pings": points})
    latest = positions.latest(phone.device.resource_id)
    assert latest.recorded_at == now - timedelta(seconds=5)
    assert latest.latitude == 47.05
    assert latest.received_at == now


def test_a_late_batch_is_stored_but_moves_nothing(client, phone, eager, backend):
    now = timezone.now()
    post(client, phone, {"pings": batch(3, start=now - timedelta(seconds=15))})
    newest = positions.latest(phone.device.resource_id)

    late = batch(5, start=now - timedelta(minutes=10))  # an offline backlog, flushed now
    assert post(client, phone, {"pings": late}).json()["accepted"] == 5

    assert Ping.objects.count() == 8
    assert positions.latest(phone.device.resource_id) == newest


def test_a_resent_batch_moves_nothing_and_stores_nothing_again(client, phone, eager, backend):
    points = batch(4)
    post(client, phone, {"pings": points})
    before = positions.latest(phone.device.resource_id)
    post(client, phone, {"pings": list(reversed(points))})
    assert positions.latest(phone.device.resource_id) == before
    assert Ping.objects.count() == 4


def test_a_point_from_the_future_is_refused_and_cannot_freeze_it(client, phone, eager, backend):
    ahead = point(timezone.now() + timedelta(hours=1))
    answer = post(client, phone, {"pings": [ahead]}).json()
    assert answer["rejections"][0]["field"] == "recorded_at"
    post(client, phone, {"pings": [point()]})
    assert positions.latest(phone.device.resource_id).recorded_at == timezone.now()


def test_without_redis_it_is_a_row_per_technician(client, phone, eager, settings):
    settings.REDIS_URL = ""
    post(client, phone, {"pings": batch(3)})
    post(client, phone, {"pings": batch(2)})
    assert LatestPosition.objects.filter(resource_id=phone.device.resource_id).count() == 1
