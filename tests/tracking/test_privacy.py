"""Locations are kept only while the technician is on duty or traveling (INGEST_ACCEPT_WHEN):
other points are answered as refused (field recorded_at) and never stored."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from scheduling import services
from scheduling.models import Appointment, Resource, TimeOff, WorkingHours
from tests.tracking.conftest import point, post
from tracking.models import Device, Ping

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager")]


@pytest.fixture
def on_shift(technician, clock):
    """Terry works only today, from half an hour before the clock to half an hour after
    (within today, wherever the clock is pinned), on his own clock."""
    WorkingHours.objects.filter(resource=technician).delete()
    local = clock.now.astimezone(ZoneInfo(technician.time_zone))
    start = max(local - timedelta(minutes=30), local.replace(hour=0, minute=0))
    end = min(local + timedelta(minutes=30), local.replace(hour=23, minute=59))
    WorkingHours.objects.create(
        resource=technician, weekday=local.weekday(), start=start.time(), end=end.time()
    )
    return technician


def _faults(response) -> list[tuple[int, str]]:
    return [(r["index"], r["field"]) for r in response.json()["rejections"]]


def test_points_on_duty_are_kept_and_others_refused_as_off_duty(client, phone, on_shift):
    now = timezone.now()
    two_days_ago = now - timedelta(days=2)  # another weekday: no hours
    response = post(client, phone, {"pings": [point(now), point(two_days_ago)]})

    assert response.status_code == 202
    assert response.json()["accepted"] == 1
    [rejection] = response.json()["rejections"]
    assert (rejection["index"], rejection["field"]) == (1, "recorded_at")
    assert "off duty" in rejection["reason"]
    assert [p.recorded_at for p in Ping.objects.all()] == [now]


def test_time_off_is_off_duty(client, phone, on_shift):
    now = timezone.now()
    TimeOff.objects.create(
        resource=on_shift, start=now - timedelta(minutes=5), end=now + timedelta(minutes=5)
    )
    assert _faults(post(client, phone, {"pings": [point(now)]})) == [(0, "recorded_at")]
    assert not Ping.objects.exists()


def test_an_inactive_technician_is_never_on_duty(client, phone, on_shift):
    Resource.objects.filter(pk=on_shift.pk).update(active=False)
    assert _faults(post(client, phone, {"pings": [point()]})) == [(0, "recorded_at")]


def test_while_traveling_every_point_is_kept(client, phone, appointment, on_shift):
    services.transition(appointment=appointment, to=Appointment.Status.TRAVELING, by=None)
    two_days_ago = timezone.now() - timedelta(days=2)
    response = post(client, phone, {"pings": [point(), point(two_days_ago)]})
    assert response.json()["accepted"] == 2
    assert Ping.objects.count() == 2


def test_traveling_only_keeps_nothing_on_duty_without_a_traveling_visit(
    client, phone, appointment, on_shift, settings
):
    settings.INGEST_ACCEPT_WHEN = "traveling"
    assert _faults(post(client, phone, {"pings": [point()]})) == [(0, "recorded_at")]
    services.transition(appointment=appointment, to=Appointment.Status.TRAVELING, by=None)
    assert post(client, phone, {"pings": [point()]}).json()["accepted"] == 1


def test_always_keeps_every_point(client, phone, on_shift, settings):
    settings.INGEST_ACCEPT_WHEN = "always"
    points = [point(), point(timezone.now() - timedelta(days=2))]
    assert post(client, phone, {"pings": points}).json()["accepted"] == 2


def test_a_shift_past_midnight_counts_for_the_next_day(client, phone, technician, clock):
    WorkingHours.objects.filter(resource=technician).delete()
    zone = ZoneInfo(technician.time_zone)
    yesterday = clock.now.astimezone(zone).date() - timedelta(days=1)
    # 22:00 to midnight yesterday, and from midnight to 02:00 today.
    WorkingHours.objects.create(
        resource=technician, weekday=yesterday.weekday(), start=time(22), end=time(23, 59)
    )
    WorkingHours.objects.create(
        resource=technician, weekday=(yesterday.weekday() + 1) % 7, start=time(0), end=time(2)
    )
    late = datetime.combine(yesterday, time(23, 30), tzinfo=zone)
    early = datetime.combine(yesterday + timedelta(days=1), time(1), tzinfo=zone)
    noon = datetime.combine(yesterday, time(12), tzinfo=zone)
    faults = _faults(post(client, phone, {"pings": [point(late), point(early), point(noon)]}))
    assert faults == [(2, "recorded_at")]


# Committed, as in production: hours changed in an open transaction are read afresh.
@pytest.mark.django_db(transaction=True)
def test_the_usual_batch_costs_no_query_and_one_off_duty_one(
    client, phone, on_shift, published, settings, django_assert_num_queries
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the view's own queries, without the worker's
    now = timezone.now()
    post(client, phone, {"pings": [point(now)]})  # the hours are loaded once per process
    # "Last seen" just now, as the worker (not running here) notes with that batch.
    Device.objects.filter(pk=phone.device.pk).update(last_seen_at=now)
    with django_assert_num_queries(0):  # the device and its hours are kept by the process
        assert (
            post(client, phone, {"pings": [point(now) for _ in range(3)]}).json()["accepted"] == 3
        )
    with django_assert_num_queries(1):  # is a visit Traveling?
        post(client, phone, {"pings": [point(now - timedelta(days=2))]})


def test_a_dispatchers_change_to_the_hours_applies_to_the_next_batch(client, phone, on_shift):
    assert post(client, phone, {"pings": [point()]}).json()["accepted"] == 1
    WorkingHours.objects.filter(resource=on_shift).delete()
    assert _faults(post(client, phone, {"pings": [point()]})) == [(0, "recorded_at")]
