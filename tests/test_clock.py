"""The tests' clock: the pin every in-process test runs on, and the days picked from it."""

import threading
import time
from datetime import date, datetime, timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.db.models.functions import Now
from django.utils import timezone

from tests.support.clock import LA, next_weekday_at, parse_instant

HORIZON = timedelta(days=30)


def _fortnight_by_the_hour(first: datetime):
    return [first + timedelta(hours=h) for h in range(14 * 24)]


# Each fortnight holds a DST change in Seattle and the midnights around it.
AWKWARD_FORTNIGHTS = [
    datetime(2030, 3, 3, 0, 0, tzinfo=LA),  # clocks go forward on 2030-03-10
    datetime(2030, 10, 27, 0, 0, tzinfo=LA),  # and back on 2030-11-03
]


@pytest.mark.parametrize("first", AWKWARD_FORTNIGHTS, ids=["spring", "autumn"])
@pytest.mark.parametrize("weeks", [1, 2, 4])
def test_the_picked_day_is_the_weekday_asked_at_least_three_days_ahead(first, weeks):
    for now in _fortnight_by_the_hour(first):
        for weekday in range(7):
            picked = next_weekday_at("10:30", weekday=weekday, weeks=weeks, now=now)
            local = picked.astimezone(LA)
            assert (local.weekday(), local.hour, local.minute) == (weekday, 10, 30), now
            assert (local.date() - now.astimezone(LA).date()).days >= 3, now
            assert picked - now < HORIZON, now


def test_a_minute_before_and_after_midnight_pick_their_own_mondays():
    friday_night = datetime(2030, 6, 7, 23, 59, tzinfo=LA)
    saturday_morning = friday_night + timedelta(minutes=2)

    assert next_weekday_at("10:00", now=friday_night) == datetime(2030, 6, 10, 10, 0, tzinfo=LA)
    # From Saturday the coming Monday is too close: the one after.
    assert next_weekday_at("10:00", now=saturday_morning) == datetime(2030, 6, 17, 10, 0, tzinfo=LA)


def test_the_wall_clock_time_holds_across_a_dst_change():
    before_spring = datetime(2030, 3, 7, 12, 0, tzinfo=LA)
    monday = next_weekday_at("10:00", now=before_spring)
    assert monday.date() == date(2030, 3, 11)
    assert (monday.hour, monday.utcoffset()) == (10, timedelta(hours=-7))  # PDT


def test_the_pinned_clock_stands_still_in_every_thread(clock):
    seen_by_a_thread = []
    worker = threading.Thread(target=lambda: seen_by_a_thread.append(timezone.now()))
    before = timezone.now()
    worker.start()
    worker.join()

    assert before == timezone.now() == seen_by_a_thread[0] == clock.now
    assert time.time() == clock.now.timestamp()
    assert timezone.localdate(timezone=LA) == clock.now.astimezone(LA).date()
    assert next_weekday_at("09:00") == clock.next_weekday_at("09:00")


def test_no_model_takes_a_time_from_the_database_clock():
    # The pin does not reach PostgreSQL: a time the database fills in would not match the
    # pinned clock the tests compare it with. The models fill every time in Python.
    from_the_database = [
        f"{model.__name__}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field.db_default, Now)
    ]
    assert from_the_database == []


@pytest.mark.worker
@pytest.mark.django_db
def test_worker_tests_run_on_the_real_clock_as_the_worker_does():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        [(database_now,)] = cursor.fetchall()
    assert abs(timezone.now() - database_now) < timedelta(minutes=1)


def test_a_pinned_instant_needs_its_utc_offset():
    assert parse_instant("2030-03-09T23:59-08:00") == datetime(2030, 3, 9, 23, 59, tzinfo=LA)
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_instant("2030-03-09T23:59")
