import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models import Q
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


# The groups the migrations made, with their permissions: (app label, codename) pairs by name.
MIGRATED_GROUPS: dict[str, list[tuple[str, str]]] = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, and a note of the groups its migrations made, taken before any
    test could change them (see migrated_groups)."""
    with django_db_blocker.unblock():
        for group in Group.objects.prefetch_related("permissions__content_type"):
            MIGRATED_GROUPS[group.name] = [
                (p.content_type.app_label, p.codename) for p in group.permissions.all()
            ]
    yield


@pytest.fixture
def migrated_groups(db) -> None:
    """The groups as the migrations made them (Dispatchers, Supervisors). A transactional
    test (the browser tests) ends by emptying every table, and the permissions come back
    (post_migrate) but the groups do not: the tests after it find them here again."""
    for name, grants in MIGRATED_GROUPS.items():
        wanted = Q()
        for app_label, codename in grants:
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(wanted) if grants else [])


@pytest.fixture
def desk_dispatcher(db, migrated_groups):
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


# The session's mail worker, once a test has started it (celery_worker).
_mail_worker: subprocess.Popen | None = None


@pytest.fixture(autouse=True)
def _mail_delivered_before_flush(request):
    """Once the session's mail worker runs, it delivers the mail any later test commits. A
    transactional test's database is emptied at its end (TRUNCATE of every table), and a
    delivery under way then (the outbox row claimed, the visit read for its calendar file)
    can deadlock with it, failing the test's teardown: the mail it left is delivered first."""
    yield
    if _mail_worker is None or not _transactional(request):
        return
    from portal.models import OutboxMessage

    Status = OutboxMessage.Status
    pending = OutboxMessage.objects.filter(status__in=[Status.QUEUED, Status.SENDING])
    wait_for(lambda: not pending.exists(), timeout=10, interval=0.05)


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


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
    global _mail_worker
    _mail_worker = process
    yield process
    _mail_worker = None
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
