"""Pings go after LOCATION_RETENTION_DAYS, by `manage.py purge_locations` and the hourly beat
task; on PostgreSQL whole day partitions are dropped, so a ping goes between the retention
period and a day after it. The day partitions themselves are made at migrate, hourly, and on
demand for a point whose day has none."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from portal.celery import app
from tests.conftest import wait_for
from tests.tracking.conftest import pair
from tracking import partitions, pings
from tracking.models import Ping
from tracking.tasks import create_location_partitions, purge_locations

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("partitions are PostgreSQL's; the SQLite path is tested under make run")


def store(device, *ages: timedelta, now=None) -> None:
    """Pings of `device` recorded `age` ago each, written as the worker writes them."""
    now = now or timezone.now()
    rows = [
        [f"00000000-0000-4000-8000-{n:012d}", (now - age).astimezone(UTC).isoformat(),
         47.6, -122.3, 10.0, None, None, None, None]
        for n, age in enumerate(ages)
    ]  # fmt: skip
    pings.store(device.pk, device.resource_id, now.isoformat(), rows)


def ages(device) -> list[timedelta]:
    now = timezone.now()
    return sorted(now - p.recorded_at for p in Ping.objects.filter(device=device))


DAY = timedelta(days=1)


def test_the_command_drops_the_days_older_than_the_retention_period(phone):
    store(phone.device, 40 * DAY, 31 * DAY, 30 * DAY + timedelta(hours=1), 29 * DAY, DAY)
    out = StringIO()
    call_command("purge_locations", stdout=out)

    # 30 days and an hour ago is on the day that the cutoff cuts: it goes with its day.
    assert ages(phone.device) == [DAY, 29 * DAY, 30 * DAY + timedelta(hours=1)]
    assert out.getvalue().startswith("Dropped ")
    cutoff_day = (timezone.now() - 30 * DAY).astimezone(UTC).date()
    assert all(day >= cutoff_day for day in partitions.existing())


def test_the_command_takes_another_age(phone):
    store(phone.device, 10 * DAY, 3 * DAY, timedelta(hours=1))
    call_command("purge_locations", "--older-than", "5", stdout=StringIO())
    assert ages(phone.device) == [timedelta(hours=1), 3 * DAY]


@pytest.mark.parametrize("bad", ["-1", "soon"])
def test_the_command_refuses_a_bad_age(bad):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="older-than"):
        call_command("purge_locations", "--older-than", bad)


def test_nothing_to_drop_is_said_so(phone):
    call_command("purge_locations", stdout=StringIO())  # the test database's older days
    store(phone.device, DAY)
    out = StringIO()
    call_command("purge_locations", stdout=out)
    assert "No whole day" in out.getvalue()
    assert len(ages(phone.device)) == 1


def test_the_beat_runs_both_tasks_hourly():
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule[purge_locations.name] == 3600
    assert schedule[create_location_partitions.name] == 3600
    assert {purge_locations.name, create_location_partitions.name} <= set(app.tasks)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_purge_task_run_by_the_worker_drops_old_days(celery_worker, technician):
    """On the real clock: the worker and PostgreSQL keep it."""
    phone = pair(technician)
    store(phone.device, 45 * DAY, 35 * DAY, DAY)
    old_day = (timezone.now() - 45 * DAY).astimezone(UTC).date()
    assert old_day in partitions.existing()

    purge_locations.delay()

    assert wait_for(lambda: old_day not in partitions.existing())
    assert [age.days for age in ages(phone.device)] == [1]


# --- Partitions -------------------------------------------------------------------------------
def test_the_pings_table_is_partitioned_by_range_of_recorded_at():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_partkeydef(%s::regclass)", [partitions.TABLE])
        assert cursor.fetchone() == ("RANGE (recorded_at)",)


def test_migrate_makes_the_window_of_days_a_point_may_come_for():
    window = partitions.window(timezone.now())
    partitions.drop_before(timezone.now() + 30 * DAY)  # none left (rolled back after)
    assert partitions.existing() == []
    call_command("migrate", "tracking", verbosity=0)
    assert set(window) <= set(partitions.existing())
    assert window[0] == (timezone.now() - timedelta(days=30)).astimezone(UTC).date()
    assert window[-1] == timezone.now().astimezone(UTC).date() + timedelta(days=7)


def test_the_hourly_task_and_the_command_make_the_days_ahead():
    partitions.drop_before(timezone.now() + 30 * DAY)
    create_location_partitions.apply().get()
    assert set(partitions.window(timezone.now())) <= set(partitions.existing())
    out = StringIO()
    call_command("create_location_partitions", stdout=out)
    assert out.getvalue() == "Made 0 partition(s).\n"


def test_a_point_for_a_day_without_a_partition_is_stored_in_a_new_one(phone):
    far = timezone.now() - 20 * DAY
    day = far.astimezone(UTC).date()
    assert day not in partitions.existing()
    store(phone.device, 20 * DAY)
    assert day in partitions.existing()
    assert ages(phone.device) == [20 * DAY]


def test_a_day_dropped_while_its_points_waited_is_made_again(phone):
    store(phone.device, DAY)
    day = (timezone.now() - DAY).astimezone(UTC).date()
    partitions.drop_before(datetime.combine(day + DAY, datetime.min.time(), tzinfo=UTC))
    assert day not in partitions.existing()
    store(phone.device, DAY + timedelta(minutes=1))
    assert day in partitions.existing()
