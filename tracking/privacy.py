"""When a technician's locations may be kept (INGEST_ACCEPT_WHEN): by default only on duty,
that is at a time inside their working hours less their time off, or while one of their
appointments is Traveling (a drive to the first visit may start before the shift). A point
recorded at any other time is answered as rejected and never stored.

The hours and time off come from a per-process cache that a dispatcher's change to them
renews (scheduling.caches), so the usual batch costs no query; the Traveling check is one
query, asked only for a batch that has points outside working time."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from scheduling.availability import Interval, Window, by_weekday, days_windows, subtract
from scheduling.caches import per_planning_version
from scheduling.models import Appointment, Resource, TimeOff, WorkingHours


@dataclass(frozen=True)
class Duty:
    """A technician's weekly hours (wall clock, in `zone`) and time off."""

    zone: ZoneInfo
    week: dict[int, list[tuple[time, time]]]
    time_off: tuple[Interval, ...]


def keep(resource: Resource, moments: Sequence[datetime]) -> list[bool]:
    """For each time a point was recorded at, whether the technician's point may be kept."""
    rule = settings.INGEST_ACCEPT_WHEN
    if rule == "always":
        return [True] * len(moments)
    if rule == "on_duty":
        kept = on_duty(resource, moments)
        if all(kept):
            return kept
    else:
        kept = [False] * len(moments)
    if traveling(resource.pk):
        return [True] * len(moments)
    return kept


def traveling(resource_id: int) -> bool:
    return Appointment.objects.filter(
        resource_id=resource_id, status=Appointment.Status.TRAVELING
    ).exists()


def on_duty(resource: Resource, moments: Sequence[datetime]) -> list[bool]:
    """For each moment, whether it falls inside the technician's working hours, less time
    off. An inactive technician is on duty never."""
    if not resource.active:
        return [False] * len(moments)
    duty = _duty(resource.pk, resource.time_zone)
    # A batch's points mostly share a day: that day's windows are worked out once.
    days: dict = {}
    kept = []
    for moment in moments:
        day = moment.astimezone(duty.zone).date()
        windows = days.get(day)
        if windows is None:
            # From the day before, for a shift that runs past midnight.
            windows = days[day] = _windows(duty, day - timedelta(days=1), day)
        kept.append(any(w.start <= moment < w.end for w in windows))
    return kept


def _windows(duty: Duty, first, last) -> list[Window]:
    return subtract(days_windows(duty.week, duty.zone, first, last), duty.time_off)


@per_planning_version(maxsize=10_000)
def _duty(resource_id: int, time_zone: str) -> Duty:
    hours = WorkingHours.objects.filter(resource_id=resource_id).values_list(
        "weekday", "start", "end"
    )
    # Points older than the retention period are refused anyway.
    since = timezone.now() - timedelta(days=settings.LOCATION_RETENTION_DAYS + 1)
    time_off = TimeOff.objects.filter(resource_id=resource_id, end__gt=since).values_list(
        "start", "end"
    )
    return Duty(
        zone=ZoneInfo(time_zone),
        week=by_weekday(hours.order_by()),
        time_off=tuple(Interval(start, end) for start, end in time_off.order_by()),
    )
