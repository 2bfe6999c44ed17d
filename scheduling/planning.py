"""From the database to the plain data availability.py and assignment.py work on.

A fixed number of queries whatever the number of resources and appointments: the
eligible resources, their hours, their time off, their appointments.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q

from scheduling.availability import (
    Interval,
    Point,
    ResourcePlan,
    Stop,
    distance_km,
    shifts_touching,
    subtract,
    working_windows,
)
from scheduling.models import (
    Appointment,
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
    service type requires, within the maximum travel radius of the site."""
    required = list(
        ServiceType.required_characteristics.through.objects.filter(
            servicetype_id=service_type.pk
        ).values_list("characteristic_id", flat=True)
    )
    resources = Resource.objects.filter(active=True, territories=account.territory_id)
    if required:
        resources = resources.annotate(
            matched=Count("characteristics", filter=Q(characteristics__in=required), distinct=True)
        ).filter(matched=len(required))
    resources = list(resources.order_by("id"))
    if rules.max_travel_km and account.point:
        resources = [
            r for r in resources if distance_km(r.home, account.point) <= rules.max_travel_km
        ]
    return resources


def load_plans(
    resources: Sequence[Resource], span: Interval, *, exclude_appointment: int | None = None
) -> list[ResourcePlan]:
    """Each resource's shifts that touch the span (time off taken out) and its
    appointments in them: all that decides whether it can take a visit in the span."""
    ids = [r.id for r in resources]
    hours = defaultdict(list)
    for rid, weekday, start, end in (
        WorkingHours.objects.filter(resource_id__in=ids)
        .order_by()
        .values_list("resource_id", "weekday", "start", "end")
    ):
        hours[rid].append((weekday, start, end))
    # A shift that starts the evening before (in another time zone, or overnight) can
    # still reach into the span.
    widened = Interval(span.start - MARGIN, span.end + MARGIN)
    windows = {
        r.id: shifts_touching(working_windows(hours[r.id], ZoneInfo(r.time_zone), widened), span)
        for r in resources
    }
    all_windows = [w for ws in windows.values() for w in ws]
    if not all_windows:
        return [ResourcePlan(r.id, r.home, [], []) for r in resources]
    envelope = Interval(min(w.start for w in all_windows), max(w.end for w in all_windows))

    time_off = defaultdict(list)
    for rid, start, end in (
        TimeOff.objects.filter(resource_id__in=ids, start__lt=envelope.end, end__gt=envelope.start)
        .order_by()
        .values_list("resource_id", "start", "end")
    ):
        time_off[rid].append(Interval(start, end))
    stops = load_stops(ids, envelope, exclude_appointment=exclude_appointment)
    return [
        ResourcePlan(r.id, r.home, subtract(windows[r.id], time_off[r.id]), stops[r.id])
        for r in resources
    ]


def load_stops(
    resource_ids: Sequence[int], period: Interval, *, exclude_appointment: int | None = None
) -> dict[int, list[Stop]]:
    """Active appointments of these resources that overlap the period, with where they are."""
    appointments = Appointment.objects.filter(
        resource_id__in=resource_ids,
        status__in=Appointment.ACTIVE,
        start__lt=period.end,
        end__gt=period.start,
    ).order_by()
    if exclude_appointment is not None:
        appointments = appointments.exclude(pk=exclude_appointment)
    stops = defaultdict(list)
    for rid, start, end, lat, lon in appointments.values_list(
        "resource_id", "start", "end", "service_account__latitude", "service_account__longitude"
    ):
        stops[rid].append(Stop(start, end, _location(lat, lon)))
    return stops


def _location(lat: float | None, lon: float | None) -> Point:
    # A site without coordinates cannot be booked, so this only guards old data.
    return (lat or 0.0, lon or 0.0)
