"""From the database to the plain data availability.py and assignment.py work on.

A fixed number of queries whatever the number of resources and appointments: the
eligible resources with their hours and time off (kept per process until a dispatcher
changes them, see caches.py), and their appointments, read on every request.
"""

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from scheduling.availability import (
    Interval,
    Point,
    ResourcePlan,
    Stop,
    Window,
    by_weekday,
    day_windows,
    distance_km,
    shifts_touching,
    subtract,
    windows_over,
)
from scheduling.caches import per_planning_version
from scheduling.models import (
    LONGEST_VISIT,
    Appointment,
    Closure,
    Resource,
    SchedulingSettings,
    ServiceAccount,
    ServiceType,
    TimeOff,
    WorkingHours,
)

# Stops just outside the asked span still decide travel at its edges.
MARGIN = timedelta(days=1)


def eligible_resources(
    account: ServiceAccount, service_type: ServiceType, rules: SchedulingSettings
) -> list[Resource]:
    """Active resources serving the account's territory with every characteristic the
    service type requires, within the maximum travel radius of the site; each with its
    weekly hours and coming time off, as load_plans needs them. Shared, read-only."""
    resources = _eligible_in_territory(account.territory_id, service_type.pk)
    if rules.max_travel_km and account.point:
        resources = [
            r for r in resources if distance_km(r.home, account.point) <= rules.max_travel_km
        ]
    return resources


@per_planning_version
def _eligible_in_territory(territory_id: int, service_type_id: int) -> list[Resource]:
    # Resources lacking none of the required characteristics, in the same query: the query
    # this saves pays for the territory's closures (closures below), keeping the count fixed.
    has = Resource.characteristics.through.objects.filter(resource_id=OuterRef(OuterRef("pk")))
    lacking = ServiceType.required_characteristics.through.objects.filter(
        servicetype_id=service_type_id
    ).exclude(characteristic_id__in=has.values("characteristic_id"))
    resources = Resource.objects.filter(active=True, territories=territory_id).exclude(
        Exists(lacking)
    )
    # Time off that has ended by now can never matter again; the rest is kept until the
    # next change, however long that is.
    coming = TimeOff.objects.filter(end__gt=timezone.now() - MARGIN).order_by()
    return list(
        resources.order_by("id").prefetch_related(
            Prefetch("hours", WorkingHours.objects.order_by(), to_attr="weekly_hours"),
            Prefetch("time_off", coming, to_attr="coming_time_off"),
        )
    )


@per_planning_version
def closures(territory_id: int) -> dict[date, str]:
    """The territory's closed dates (in each site's zone) from yesterday on, with their names:
    kept per process like the resources, so a day's slots cost no query for them."""
    since = timezone.now().date() - timedelta(days=1)
    return dict(
        Closure.objects.filter(territory_id=territory_id, date__gte=since)
        .order_by()
        .values_list("date", "name")
    )


def load_plans(
    resources: Sequence[Resource], span: Interval, *, exclude_appointment: int | None = None
) -> list[ResourcePlan]:
    """Each resource's shifts that touch the span (time off taken out) and its
    appointments in them: all that decides whether it can take a visit in the span.
    The resources come from eligible_resources, with their hours and time off."""
    # A shift that starts the evening before (in another time zone, or overnight) can
    # still reach into the span.
    widened = Interval(span.start - MARGIN, span.end + MARGIN)
    windows = {r.id: shifts_touching(_windows(r, widened), span) for r in resources}
    all_windows = [w for ws in windows.values() for w in ws]
    if not all_windows:
        return [ResourcePlan(r.id, r.home, [], []) for r in resources]
    envelope = Interval(min(w.start for w in all_windows), max(w.end for w in all_windows))
    stops = load_stops([r.id for r in resources], envelope, exclude_appointment=exclude_appointment)
    return [
        ResourcePlan(
            r.id,
            r.home,
            subtract(windows[r.id], [Interval(t.start, t.end) for t in r.coming_time_off]),
            stops[r.id],
        )
        for r in resources
    ]


def _windows(resource: Resource, span: Interval) -> list[Window]:
    """working_windows, from this process's cache."""
    table = _day_table(resource)
    return windows_over(span, table.zone, table.between)


@dataclass
class DayTable:
    """One technician's working windows by local day. A day's windows follow from the weekly
    hours alone and are worked out the first time any request asks for that day, then kept
    with the table: bookings and slots on neighbouring days share them (kept per run of days
    before, most of a booking's runs were new to the process, 0.6 ms of its CPU)."""

    zone: ZoneInfo
    week: dict[int, list[tuple[time, time]]]
    days: dict[date, list[Window]] = field(default_factory=dict)

    def between(self, first: date, last: date) -> list[Window]:
        found: list[Window] = []
        day = first
        while day <= last:
            windows = self.days.get(day)
            if windows is None:
                rows = self.week.get(day.weekday(), ())
                windows = self.days[day] = day_windows(rows, self.zone, day)
            found.extend(windows)
            day += timedelta(days=1)
        return found


# Kept per process and resource until the planning version changes (a table only ever gains
# days, the same ones whoever asks first, so requests may share it).
@per_planning_version(maxsize=20_000)
def _day_table(resource: Resource) -> DayTable:
    week = by_weekday((h.weekday, h.start, h.end) for h in resource.weekly_hours)
    return DayTable(ZoneInfo(resource.time_zone), week)


def load_stops(
    resource_ids: Sequence[int], period: Interval, *, exclude_appointment: int | None = None
) -> dict[int, list[Stop]]:
    """Active appointments of these resources that overlap the period, with where they are.

    None starts more than LONGEST_VISIT before the period, so the (resource, start) index is
    read over that stretch only, not over every past visit of the resources.

    Every booking reads these twice (to rank the resources, then for the chosen one under
    its lock), so the statement is written once here rather than built by the ORM each time:
    building it cost more than running it (README.md, "Speed")."""
    ops = connection.ops
    params = [
        *resource_ids,
        *Appointment.ACTIVE,
        ops.adapt_datetimefield_value(period.end),
        ops.adapt_datetimefield_value(period.start - LONGEST_VISIT),
        ops.adapt_datetimefield_value(period.start),
    ]
    sql = _stops_sql(len(resource_ids))
    if exclude_appointment is not None:
        sql += " AND a.id <> %s"
        params.append(exclude_appointment)
    # Seconds since the epoch from PostgreSQL, made into times without a check per value.
    instant = _from_epoch if connection.vendor == "postgresql" else _instant
    stops = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for rid, start, end, lat, lon in cursor.fetchall():
            stops[rid].append(Stop(instant(start), instant(end), _location(lat, lon)))
    return stops


def _from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@functools.cache
def _stops_sql(count: int) -> str:
    q = connection.ops.quote_name
    appointments, accounts = Appointment._meta.db_table, ServiceAccount._meta.db_table
    if connection.vendor == "postgresql":
        # Seconds since the epoch: a float becomes a datetime far faster than a timestamp's
        # text does, and a double holds microseconds exactly for centuries yet.
        start, end = (f"date_part('epoch', a.{q(column)})" for column in ("start", "end"))
    else:
        start, end = (f"a.{q(column)}" for column in ("start", "end"))
    marks = ", ".join(["%s"] * count)
    statuses = ", ".join(["%s"] * len(Appointment.ACTIVE))
    # Only names from the models and placeholders go into the text; values are parameters.
    return (
        f"SELECT a.resource_id, {start}, {end}, s.latitude, s.longitude"  # noqa: S608
        f" FROM {q(appointments)} a JOIN {q(accounts)} s ON s.id = a.service_account_id"
        f" WHERE a.resource_id IN ({marks}) AND a.status IN ({statuses})"
        f" AND a.{q('start')} < %s AND a.{q('start')} > %s AND a.{q('end')} > %s"
    )


def _instant(value: float | str | datetime) -> datetime:
    # From PostgreSQL, seconds since the epoch; from SQLite (make run), the stored UTC time,
    # parsed already by Django's converters for the column's declared type, else its text.
    if isinstance(value, float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _location(lat: float | None, lon: float | None) -> Point:
    # A site without coordinates cannot be booked, so this only guards old data.
    return (lat or 0.0, lon or 0.0)
