import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone

from scheduling import services
from scheduling.models import SchedulingSettings
from tests.factories import (
    CustomerFactory,
    ProductFactory,
    ResourceFactory,
    ServiceAccountFactory,
    ServiceTypeFactory,
    UserFactory,
)
from tests.support.clock import DEFAULT_NOW, Clock, parse_instant
from tests.support.mfa import sign_in_with_totp
from tests.support.smtp import SMTPStandIn

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption(
        "--clock-at",
        type=_instant_option,
        default=DEFAULT_NOW,
        help="pin the tests' clock at this ISO 8601 instant with its UTC offset "
        f"(default {DEFAULT_NOW.isoformat()})",
    )


def _instant_option(text: str):
    try:
        return parse_instant(text)
    except ValueError as exc:
        raise pytest.UsageError(f"--clock-at: {exc}") from None


def pytest_report_header(config):
    return f"clock pinned at {config.getoption('clock_at').isoformat()} (--clock-at)"


@pytest.fixture(autouse=True)
def clock(request):
    """Time stands still at the pinned instant for the whole test, in every thread of this
    process (the live server's too). Tests with the real Celery worker keep the real clock:
    the worker, another process, cannot be pinned, and the two must agree."""
    if request.node.get_closest_marker("worker"):
        yield Clock(now=timezone.now())
        return
    pinned = request.config.getoption("clock_at")
    # A timestamp, not the aware datetime: time-machine would also set the process's TZ.
    with time_machine.travel(pinned.timestamp(), tick=False):
        yield Clock(now=pinned)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Rate-limit counters live in the (Redis) cache; each test starts with none, and with
    # the booking rules read afresh from its own database.
    cache.clear()
    SchedulingSettings.forget()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Django's test setup swaps in the locmem backend; mail goes through our outbox as in
    # production, and in-process deliveries land in django.core.mail.outbox.
    settings.EMAIL_BACKEND = "portal.mail.OutboxBackend"
    settings.MAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def account(db):
    return ServiceAccountFactory(name="Alice Anderson residence")


@pytest.fixture
def alice(db, account):
    return CustomerFactory(email="alice@example.com", first_name="Alice", service_account=account)


@pytest.fixture
def alice_client(client, alice):
    """The test client, signed in as Alice."""
    client.force_login(alice)
    return client


@pytest.fixture
def dispatcher(db):
    return UserFactory(email="dana@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def desk_dispatcher(db):
    """Dina, staff in the Dispatchers group (made by a migration), not a superuser."""
    user = UserFactory(email="dina@example.com", is_staff=True)
    user.groups.add(Group.objects.get(name="Dispatchers"))
    return user


@pytest.fixture
def desk_client(client, desk_dispatcher):
    """The test client, signed in as Dina of the Dispatchers group, with her second factor."""
    return sign_in_with_totp(client, desk_dispatcher)


@pytest.fixture
def admin_client(client, dispatcher):
    """The test client, signed in as the dispatcher, with her second factor."""
    return sign_in_with_totp(client, dispatcher)


@pytest.fixture
def technician(account):
    """Terry, who serves Alice's territory, Mon-Fri 08:00-16:00 from Pike Place."""
    return ResourceFactory(
        territories=[account.territory], user__first_name="Terry", user__last_name="Tech"
    )


@pytest.fixture
def heat_pump(db):
    return ProductFactory(name="Heat pump")


@pytest.fixture
def repair(db, heat_pump):
    """A one-hour visit for heat pumps that needs no particular skill."""
    return ServiceTypeFactory(
        name="Repair visit", duration=timedelta(hours=1), products=[heat_pump]
    )


@pytest.fixture
def appointment(clock, account, alice, technician, repair, heat_pump):
    """Alice's Scheduled repair visit next Monday at 10:00, booked as customers book."""
    return services.book(
        account=account,
        customer=alice,
        product=heat_pump,
        service_type=repair,
        start=clock.next_weekday_at("10:00"),
        now=clock.now,
    )


@pytest.fixture(scope="session")
def smtp_server():
    """An SMTP server on loopback standing in for the mail provider. It refuses recipients
    at refused.invalid, as a provider refuses a bad address."""
    server = SMTPStandIn()
    server.start()
    yield server
    server.stop()


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the worker tests need PostgreSQL (set DATABASE_URL)")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, smtp_server):
    """A real Celery worker process on the Redis broker, using the test database and
    delivering mail to the SMTP stand-in."""
    from portal.celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("the worker tests need a broker (set CELERY_BROKER_URL)")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DATABASE_CONN_MAX_AGE": "0",
        "MAIL_DELIVERY_BACKEND": "smtp",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "MAIL_MAX_RETRIES": "2",
        "MAIL_RETRY_DELAY": "0.2",
    }
    app.control.purge()
    log = open(ROOT / "var" / "test-worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo",
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", "test@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the Celery worker did not start; see {log.name}")
    yield process
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.fixture(scope="session")
def ingest_worker(django_db_setup):
    """A real Celery worker on the `ingest` queue (tests.tracking.conftest.IngestWorker), for
    the tracking tests and the browser tests that share a location. Here, so that one worker
    serves the whole session."""
    from tests.tracking.conftest import IngestWorker, purge_ingest_queue

    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("the worker tests need a broker (set CELERY_BROKER_URL)")
    purge_ingest_queue()
    worker = IngestWorker()
    worker.log_path.write_text("")
    worker.start()
    yield worker
    worker.stop()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1):
    """Poll until predicate() is truthy: for outcomes another process produces."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
