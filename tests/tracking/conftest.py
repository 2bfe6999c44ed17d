import base64
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from celery.signals import after_task_publish
from django.conf import settings
from django.utils import timezone

from tests.conftest import ROOT, _database_url
from tracking import devices
from tracking.models import Device
from tracking.tasks import store_pings


@dataclass
class Paired:
    device: Device
    token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def basic(self) -> dict:
        credentials = base64.b64encode(f"sam:{self.token}".encode()).decode()
        return {"Authorization": f"Basic {credentials}"}


def pair(resource, name: str = "Phone") -> Paired:
    token = devices.new_token()
    device = Device.objects.create(
        resource=resource, name=name, token_hash=devices.token_hash(token)
    )
    return Paired(device, token)


@pytest.fixture
def phone(technician) -> Paired:
    return pair(technician)


@pytest.fixture
def eager(settings):
    """Tasks run in-process, as under `make run`: the view's task stores the batch before the
    answer, inside the test's transaction."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def anytime(settings):
    """Points are kept whatever the technician's hours (the privacy rule has its own tests)."""
    settings.INGEST_ACCEPT_WHEN = "always"


@pytest.fixture
def published():
    """The ingest tasks this process publishes: (routing key, arguments). Purged after, as no
    worker is there to take them."""
    sent = []

    def record(sender, body, routing_key, **kwargs):
        if sender == store_pings.name:
            sent.append((routing_key, body[0]))

    after_task_publish.connect(record)
    yield sent
    after_task_publish.disconnect(record)
    purge_ingest_queue()


def point(at=None, **fields) -> dict:
    """One valid point of the API's own, `at` (default now) as recorded_at."""
    at = at or timezone.now()
    values = {
        "id": str(uuid.uuid4()),
        "latitude": 47.6097,
        "longitude": -122.3422,
        "accuracy": 12.5,
        "recorded_at": at.isoformat(),
        "speed": 8.0,
        "heading": 270.0,
        "altitude": 40.0,
        "battery": 81.0,
    }
    values.update(fields)
    return {key: value for key, value in values.items() if value is not ...}


def post(client, paired: Paired, body, **kwargs):
    return client.post(
        "/api/tech/v1/locations",
        body,
        content_type=kwargs.pop("content_type", "application/json"),
        headers=kwargs.pop("headers", paired.headers),
        **kwargs,
    )


def batch(n: int, *, start=None, step=timedelta(seconds=5)) -> list[dict]:
    start = start or timezone.now() - n * step
    return [point(start + i * step) for i in range(n)]


def ingest_broker():
    """A connection to the broker of the `ingest` queue: INGEST_BROKER_URL (RabbitMQ in
    `make test`), else the app's own."""
    from portal.celery import app

    return app.connection_for_write(settings.INGEST_BROKER_URL or None)


def purge_ingest_queue() -> None:
    """Drop what this process queued for a worker that is not there."""
    from portal.celery import app

    with ingest_broker() as connection:
        channel = connection.default_channel
        app.amqp.queues["ingest"](channel).declare()  # as the worker declares it, if first
        channel.queue_purge("ingest")


class IngestWorker:
    """A Celery worker on the `ingest` queue only, as the ingest service runs it (its own app,
    reading from the ingest broker; a prefetch above the mail worker's 1), on the test
    database. It can be killed (-9) and started again. Its visibility timeout is short so
    that, with the ingest queue on Redis, the messages a killed worker held come back within
    the test (RabbitMQ hands them back as the connection drops)."""

    VISIBILITY_TIMEOUT = 8
    NAME = "ingest-test@%h"

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / "var" / "test-ingest-worker.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_VISIBILITY_TIMEOUT": str(self.VISIBILITY_TIMEOUT),
            "MAIL_MAX_RETRIES": "2",
            "MAIL_RETRY_DELAY": "0.2",
        }

    def start(self, *, wait: bool = True) -> None:
        """Start it; with `wait`, return once it answers a ping (by then it may have worked
        through a short queue)."""
        log = open(self.log_path, "a")  # noqa: SIM115 (open as long as the worker runs)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal.ingest_worker", "worker", "-Q", "ingest",
             "--pool=solo", "--prefetch-multiplier=50", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "-n", self.NAME],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        if not wait:
            return
        node = self.NAME.replace("%h", os.uname().nodename)
        deadline = time.monotonic() + 60
        # It answers on its own broker: asked through its own app, as
        # `celery -A portal.ingest_worker inspect ping` asks (docker-compose.yml).
        from portal.ingest_worker import app

        while not app.control.ping(destination=[node], timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                pytest.fail(f"the ingest worker did not start; see {self.log_path}")

    def kill(self) -> None:
        """kill -9: no warm shutdown, nothing handed back to the broker."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


# --- Paired as a device pairs (the devices tests) ---------------------------------------

API = "/api/tech/v1/"


@pytest.fixture
def unpaired(technician, dispatcher):
    """Terry's phone, added in admin, not paired yet."""
    return Device.objects.create(resource=technician, name="Terry's phone", created_by=dispatcher)


@pytest.fixture
def token(unpaired):
    """Terry's phone, paired as a device pairs: the token the API answered."""
    code = devices.make_pairing_code(device=unpaired)
    _, token = devices.pair(code=code)
    return token


@pytest.fixture
def device(token):
    return Device.objects.select_related("resource").get(token_hash=devices.token_hash(token))


@pytest.fixture
def bearer(token) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
