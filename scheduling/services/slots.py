"""Free times and free resources: what the customer is offered, and the resource a booking
takes."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from scheduling import assignment, planning
from scheduling.availability import (
    DaySlots,
    Interval,
    NoSlots,
    Placement,
    ResourcePlan,
    closure_spans,
    day_slots,
    local_day,
    place,
    without_closures,
)
from scheduling.models import (
    Resource,
    SchedulingSettings,
    ServiceAccount,
    ServiceType,
    zone_for,
)
from scheduling.services.errors import SlotTaken, TimeNotAvailable
from scheduling.services.rules import rules_for


@dataclass(frozen=True)
class Calendar:
    """Slots per day for one account and service type, over a range of days."""

    days: dict[date, DaySlots]

    def slots(self, day: date) -> DaySlots:
        return self.days[day]


def availability(
    *,
    account: ServiceAccount,
    service_type: ServiceType,
    days: list[date],
    zone: ZoneInfo | None = None,
    now: datetime | None = None,
    exclude_appointment: int | None = None,
    full_days: Collection[date] | None = None,
) -> Calendar:
    """Free starts for each of `days`, calendar days in `zone` (the customer's; the site's
    by default); the starts lie on the site's grid whatever `zone` is. With `full_days`,
    the other days get only their first free start, enough for a day picker. A fixed
    number of queries, whatever the number of days, resources and appointments."""
    now = now or timezone.now()
    zone = zone or zone_for(account=account)
    if account.needs_location:
        no_location = DaySlots([], NoSlots.NO_LOCATION)
        return Calendar({d: no_location for d in days})
    settings = SchedulingSettings.current()
    site_zone = zone_for(account=account)
    rules = rules_for(settings, now, site_zone)
    resources = planning.eligible_resources(account, service_type, settings)
    closed = closure_spans(planning.closures(account.territory_id), site_zone)
    spans = {d: local_day(d, zone) for d in days}
    plans = []
    if resources and days:
        whole = Interval(min(s.start for s in spans.values()), max(s.end for s in spans.values()))
        plans = planning.load_plans(resources, whole, exclude_appointment=exclude_appointment)
        plans = without_closures(plans, closed)
    return Calendar(
        {
            d: day_slots(
                day=span,
                duration=service_type.duration,
                plans=plans,
                site=account.point,
                rules=rules,
                now=now,
                first_only=full_days is not None and d not in full_days,
                closures=closed,
            )
            for d, span in spans.items()
        },
    )


def free_resources(
    account: ServiceAccount,
    service_type: ServiceType,
    start: datetime,
    settings: SchedulingSettings,
    exclude_appointment: int | None = None,
) -> list[tuple[Placement, ResourcePlan]]:
    """The resources free for the visit at `start`, best first, each with its plan; read
    without locks. Raises TimeNotAvailable when no eligible resource even works then, or
    the territory is closed that day (in the site's zone)."""
    end = start + service_type.duration
    resources = planning.eligible_resources(account, service_type, settings)
    plans = planning.load_plans(
        resources, Interval(start, end), exclude_appointment=exclude_appointment
    )
    closed = closure_spans(planning.closures(account.territory_id), zone_for(account=account))
    plans = without_closures(plans, closed)
    if not any(plan.window_at(start, end) for plan in plans):
        raise TimeNotAvailable()
    plan_of = {plan.resource_id: plan for plan in plans}
    ranked = assignment.rank(plans, start, end, account.point, settings.travel_speed_kmh)
    return [(placement, plan_of[placement.resource_id]) for placement in ranked]


def lock_best_resource(
    account: ServiceAccount,
    service_type: ServiceType,
    start: datetime,
    settings: SchedulingSettings,
    exclude_appointment: int | None = None,
) -> Placement:
    """Choose the resource and lock it, inside the caller's transaction. Candidates are
    ranked on data read without locks; the chosen one is locked and re-checked on fresh
    data, so two bookings racing for it queue on its row and the second sees the first's
    appointment. Raises SlotTaken when every candidate is taken."""
    end = start + service_type.duration
    speed = settings.travel_speed_kmh
    ranked = free_resources(account, service_type, start, settings, exclude_appointment)
    for candidate, plan in ranked:
        # A savepoint per candidate: when it turns out taken, rolling back to it releases
        # its row lock, so a booking never holds one resource while waiting for the next
        # (no lock order to get wrong, no deadlock). The winner's is left to the commit.
        savepoint = transaction.savepoint()
        _lock_resource(candidate.resource_id)
        # Hours and time off are the dispatcher's and change rarely; appointments are what
        # a racing booking changes, so only they are read again.
        shifts = Interval(plan.windows[0].start, plan.windows[-1].end)
        fresh = planning.load_stops(
            [plan.resource_id], shifts, exclude_appointment=exclude_appointment
        )
        plan = ResourcePlan(plan.resource_id, plan.home, plan.windows, fresh[plan.resource_id])
        choice = place(plan, start, end, account.point, speed)
        if choice is not None:
            return choice
        transaction.savepoint_rollback(savepoint)
    raise SlotTaken()


def _lock_resource(resource_id: int) -> None:
    """Take the resource's row lock until the transaction ends (SQLite, under make run,
    has none: it lets one writer at a time)."""
    if connection.features.has_select_for_update:
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_SQL.format(table=Resource._meta.db_table), [resource_id])


_LOCK_SQL = "SELECT id FROM {table} WHERE id = %s FOR UPDATE"
