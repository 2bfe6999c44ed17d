"""From the database to the plain data availability.py and assignment.py work on.

A fixed number of queries whatever the number of resources and appointments: the
eligible resources, their hours, their time off, their appointments.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef

from scheduling.availability import (
    Interval,
    Point,
    ResourcePlan,
    Stop,
    distance_km,
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
    service type requires, within the maximum travel radius of the site. One query."""
    # "Every required characteristic" is "no required characteristic it lacks".
    has_it = Resource.characteristics.through.objects.filter(
        resource_id=OuterRef(OuterRef("pk")), characteristic_id=OuterRef("characteristic_id")
    )
    lacking = ServiceType.required_characteristics.through.objects.filter(
        servicetype_id=service_type.pk
    ).exclude(Exists(has_it))
    resources = list(
        Resource.objects.filter(active=True, territories=account.territory_id)
        .exclude(Exists(lacking))
        .order_by("id")
    )
    if rules.max_travel_km and account.point:
        resources = [
            r for r in resources if distance_km(r.home, account.point) <= rules.max_travel_km
        ]
    return resources


def load_plans(
    resources: Sequence[Resource], span: Interval, *, exclude_appointment: int | None = None
) -> list[ResourcePlan]:
    ids = [r.id for r in resources]
    hours = defaultdict(list)
    for rid, weekday, start, end in WorkingHours.objects.filter(resource_id__in=ids).values_list(
        "resource_id", "weekday", "start", "end"
    ):
        hours[rid].append((weekday, start, end))
    time_off = defaultdict(list)
    for rid, start, end in TimeOff.objects.filter(
        resource_id__in=ids, start__lt=span.end + MARGIN, end__gt=span.start - MARGIN
    ).values_list("resource_id", "start", "end"):
        time_off[rid].append(Interval(start, end))
    stops = load_stops(ids, span, exclude_appointment=exclude_appointment)

    widened = Interval(span.start - MARGIN, span.end + MARGIN)
    plans = []
    for r in resources:
        windows = working_windows(hours[r.id], ZoneInfo(r.time_zone), widened)
        plans.append(ResourcePlan(r.id, r.home, subtract(windows, time_off[r.id]), stops[r.id]))
    return plans


def load_stops(
    resource_ids: Sequence[int], span: Interval, *, exclude_appointment: int | None = None
) -> dict[int, list[Stop]]:
    """Active appointments of these resources around the span, with where they are."""
    appointments = Appointment.objects.filter(
        resource_id__in=resource_ids,
        status__in=Appointment.ACTIVE,
        start__lt=span.end + MARGIN,
        end__gt=span.start - MARGIN,
    )
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
