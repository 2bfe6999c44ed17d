"""The real path: the API queues on the ingest broker, a Celery worker on the `ingest` queue
stores the points in PostgreSQL and moves the latest position. A worker killed (-9) in the
middle of it loses nothing and stores nothing twice once a worker runs again."""

from datetime import datetime, timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.conftest import wait_for
from tests.tracking.conftest import batch, ingest_broker, pair, post
from tracking import positions
from tracking.models import Ping

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.usefixtures("anytime"),
]


BATCHES = 100


def stored(device) -> int:
    return Ping.objects.filter(device=device).count()


def test_the_worker_stores_a_batch_and_moves_the_latest_position(client, ingest_worker, technician):
    phone = pair(technician)
    points = batch(50)
    assert post(client, phone, {"pings": points}).json()["accepted"] == 50

    assert wait_for(lambda: stored(phone.device) == 50), stored(phone.device)
    newest = max(datetime.fromisoformat(p["recorded_at"]) for p in points)
    latest = wait_for(lambda: positions.latest(technician.pk))
    assert latest is not None and latest.recorded_at == newest


def test_a_resent_batch_is_stored_once(client, ingest_worker, technician):
    phone = pair(technician)
    points = batch(20)
    for _ in range(3):
        post(client, phone, {"pings": points})
    first = Ping.objects.filter(device=phone.device)
    assert wait_for(lambda: first.count() == 20)
    # The worker takes the queue in order: once a later batch is stored, the resent ones
    # before it are done too.
    marker = batch(1, start=timezone.now())
    post(client, phone, {"pings": marker})
    assert wait_for(lambda: Ping.objects.filter(point_id=marker[0]["id"]).exists())
    assert first.count() == 21


def ready_in_queue() -> int:
    """Batches waiting in the ingest queue, not yet delivered to any worker."""
    with ingest_broker() as broker:
        channel = broker.default_channel
        if isinstance(getattr(channel, "client", None), redis.Redis):
            return channel.client.llen("ingest")
        return channel.queue_declare("ingest", passive=True).message_count


# RabbitMQ (INGEST_BROKER_URL, as `make test` and docker-compose.yml run it) hands back every
# message a killed worker held the moment its connection drops. kombu's Redis transport takes
# a message off the queue (BRPOP) and records it as unacknowledged in a second command, so a
# worker killed between the two loses that batch (kombu issue #305): with the ingest queue on
# Redis this can fail, hence not strict there.
@pytest.mark.xfail(
    not settings.INGEST_BROKER_URL.startswith("amqp"),
    strict=False,
    reason="kombu #305: on Redis, a batch popped by a killed worker can be lost",
)
def test_a_worker_killed_mid_ingest_loses_and_duplicates_nothing(
    client, ingest_worker, technician, settings
):
    settings.INGEST_RATE_LIMIT = (1000, 60.0)
    phone = pair(technician)

    # A backlog, as after an outage: queued while no worker runs.
    ingest_worker.stop()
    start = timezone.now() - timedelta(hours=2)
    accepted = 0
    for n in range(BATCHES):
        points = batch(200, start=start + n * timedelta(minutes=1), step=timedelta(seconds=0.3))
        accepted += post(client, phone, {"pings": points}).json()["accepted"]
    assert accepted == BATCHES * 200
    assert ready_in_queue() == BATCHES

    # Killed once it is well into the backlog, holding batches it has taken from the queue
    # and not acknowledged: those are back in the queue after the kill (a kill that falls
    # between two batches holds none: then it is started and killed again).
    for _ in range(5):
        ingest_worker.start(wait=False)
        goal = stored(phone.device) + 1000
        assert wait_for(lambda g=goal: stored(phone.device) >= g, timeout=60, interval=0.005)
        before = ready_in_queue()
        ingest_worker.kill()
        at_kill = stored(phone.device)
        stored_batches = at_kill // 200
        # What the worker held, handed back by the broker (on Redis, after the visibility
        # timeout, so not counted here).
        held = wait_for(lambda b=before: ready_in_queue() - b, timeout=5) or 0
        if held > 0 or not settings.INGEST_BROKER_URL.startswith("amqp"):
            break
    assert 0 < at_kill < accepted
    if settings.INGEST_BROKER_URL.startswith("amqp"):
        assert held > 0
        # Every batch not stored is in the queue again, none lost with the worker.
        assert ready_in_queue() >= BATCHES - stored_batches - 1

    ingest_worker.start()
    # What it held comes back (at once on RabbitMQ, after the visibility timeout on Redis)
    # and is stored then.
    assert wait_for(lambda: stored(phone.device) == accepted, timeout=90), (
        f"{stored(phone.device)} of {accepted} stored; see {ingest_worker.log_path}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT point_id) FROM tracking_ping WHERE device_id = %s",
            [phone.device.pk],
        )
        assert cursor.fetchone() == (accepted, accepted)
    assert wait_for(lambda: ready_in_queue() == 0)
    assert positions.latest(technician.pk).recorded_at == start + (BATCHES - 1) * timedelta(
        minutes=1
    ) + 199 * timedelta(seconds=0.3)
