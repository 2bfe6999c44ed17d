"""The dispatchers' day board: one territory's active technicians, each with the day's
visits, time off and free time on one time axis, read on the territory's clock.

Six queries whatever the number of technicians and visits: the territory's zone, its
closure that day, and its technicians with their user, weekly hours, time off and visits
(one prefetch each). Canceled visits hold no time and are left out; completed ones did, and
stay. Free time is the working hours (the technician's own, on their own clock) less time
off and visits; a closed day (a public holiday) has none.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch

from scheduling import timeline
from scheduling.availability import Interval, Window, local_day, subtract, working_windows
from scheduling.models import (
    Appointment,
    Closure,
    Resource,
    ServiceAccount,
    Territory,
    TimeOff,
    WorkingHours,
    zone_for,
)
from scheduling.timeline import Axis, Mark

Status = Appointment.Status


@dataclass(frozen=True)
class Block:
    """One thing on a technician's row, placed on the axis (`start`, `end` in 1/SCALE)."""

    kind: str  # "visit", "free", "time-off" or "closed"
    start: int
    end: int
    time: str  # "09:00–10:00", blank for a closed day
    label: str  # the customer, "Free", "Time off: Vacation", "Closed for Memorial Day"
    detail: str = ""  # a visit's service type (and its site, when in another territory)
    state: str = ""  # a visit's state, as the screen says it
    status: str = ""  # a visit's state, as the code says it (for its colour)
    appointment_id: int | None = None


@dataclass(frozen=True)
class Row:
    technician: str
    hours: str  # "Works 08:00–12:00, 13:00–17:00", or "Not working"
    blocks: list[Block]


@dataclass(frozen=True)
class Board:
    territory: Territory
    day: date
    zone: ZoneInfo
    whose_zone: str  # "the zone of the territory's sites", for the page to say
    zone_labels: list[str]  # ["PDT"], or ["CET", "CEST"] the day the clocks change
    marks: list[Mark]
    rows: list[Row]
    closure: str = ""  # the closure's name, on a closed day
    visits: int = 0
    canceled: int = 0

    @property
    def hours(self) -> int:
        """How many hours the axis spans (a mark at each end)."""
        return len(self.marks) - 1

    @property
    def axis_text(self) -> str:
        labelled = [m.label for m in self.marks if m.label]
        return f"{labelled[0]} to {labelled[-1]}" if labelled else ""


def territory_zone(territory: Territory) -> tuple[ZoneInfo, str]:
    """The zone most of the territory's sites are in (admin shows visits on the site's
    clock), else the portal's default."""
    zones = (
        ServiceAccount.objects.filter(territory=territory)
        .exclude(time_zone="")
        .values("time_zone")
        .annotate(sites=Count("id"))
        .order_by("-sites", "time_zone")
    )
    first = zones.first()
    if first is None:
        return zone_for(), "the portal's default zone (the territory has no site yet)"
    return ZoneInfo(first["time_zone"]), "the zone of the territory's sites"


def load(*, territory: Territory, day: date, zone: ZoneInfo, whose_zone: str) -> Board:
    span = local_day(day, zone)
    closure = Closure.objects.filter(territory=territory, date=day).values_list("name", flat=True)
    closure = next(iter(closure), "")
    around = {"start__lt": span.end, "end__gt": span.start}
    technicians = sorted(
        Resource.objects.filter(territories=territory, active=True)
        .select_related("user")
        .prefetch_related(
            Prefetch("hours", WorkingHours.objects.order_by(), to_attr="weekly_hours"),
            Prefetch("time_off", TimeOff.objects.filter(**around), to_attr="day_time_off"),
            Prefetch(
                "appointments",
                Appointment.objects.filter(**around)
                .select_related("customer", "service_type", "service_account")
                .order_by("start", "id"),
                to_attr="day_visits",
            ),
        ),
        key=lambda r: (str(r).casefold(), r.pk),
    )
    states = Counter(a.status for r in technicians for a in r.day_visits)
    plans = [_plan(r, span) for r in technicians]
    held = [Interval(a.start, a.end) for plan in plans for a in plan.visits]
    axis = timeline.axis_for(
        span, zone, [*(Interval(w.start, w.end) for p in plans for w in p.windows), *held]
    )
    labels = timeline.labels_of(span, zone)
    named = len(labels) > 1
    rows = [
        _row(r, plan, span=span, axis=axis, territory=territory, closure=closure, named=named)
        for r, plan in zip(technicians, plans, strict=True)
    ]
    return Board(
        territory=territory,
        day=day,
        zone=zone,
        whose_zone=whose_zone,
        zone_labels=labels,
        marks=timeline.marks(axis, two_labels=named),
        rows=rows,
        closure=closure,
        visits=states.total() - states[Status.CANCELED],
        canceled=states[Status.CANCELED],
    )


@dataclass(frozen=True)
class _Plan:
    windows: list[Window]  # working hours within the day, on the technician's own clock
    time_off: list[TimeOff]
    visits: list[Appointment]  # those that hold time: not canceled


def _plan(resource: Resource, span: Interval) -> _Plan:
    hours = [(h.weekday, h.start, h.end) for h in resource.weekly_hours]
    windows = working_windows(hours, ZoneInfo(resource.time_zone), span)
    windows = [Window(max(w.start, span.start), min(w.end, span.end), w.day) for w in windows]
    visits = [a for a in resource.day_visits if a.status != Status.CANCELED]
    return _Plan(windows, resource.day_time_off, visits)


def _row(
    resource: Resource,
    plan: _Plan,
    *,
    span: Interval,
    axis: Axis,
    territory: Territory,
    closure: str,
    named: bool,
) -> Row:
    blocks: list[Block] = []

    def add(kind: str, start: datetime, end: datetime, **text) -> None:
        at = timeline.position(axis, start, end)
        if at is not None:
            blocks.append(Block(kind, *at, **text))

    def period(start: datetime, end: datetime) -> str:
        return timeline.period(start, end, axis.zone, named=named)

    def within(start: datetime, end: datetime) -> str:
        """Time off often runs for days: its part of this one."""
        early, late = start <= span.start, end >= span.end
        if early and late:
            return "all day"
        if early or late:
            clock = timeline.clock(end if early else start, axis.zone, named=named)
            return f"until {clock}" if early else f"from {clock}"
        return period(start, end)

    if closure:
        add("closed", axis.start, axis.end, time="", label=f"Closed for {closure}")
    else:
        busy = [Interval(t.start, t.end) for t in [*plan.time_off, *plan.visits]]
        for free in subtract(plan.windows, busy):
            add("free", free.start, free.end, time=period(free.start, free.end), label="Free")
    for off in plan.time_off:
        label = f"Time off: {off.reason}" if off.reason else "Time off"
        add("time-off", off.start, off.end, time=within(off.start, off.end), label=label)
    for visit in plan.visits:
        detail = str(visit.service_type)
        if visit.service_account.territory_id != territory.pk:
            detail += f", at {visit.service_account}"
        add(
            "visit",
            visit.start,
            visit.end,
            time=period(visit.start, visit.end),
            label=_customer(visit),
            detail=detail,
            state=visit.get_status_display(),
            status=visit.status,
            appointment_id=visit.pk,
        )
    blocks.sort(key=lambda b: (b.start, b.kind != "closed", b.end))
    works = ", ".join(period(w.start, w.end) for w in plan.windows)
    return Row(str(resource), f"Works {works}" if works else "Not working", blocks)


def _customer(visit: Appointment) -> str:
    """Who the visit is for: the customer who booked it, else the site."""
    if visit.customer is not None:
        return visit.customer.get_full_name() or visit.customer.email
    return str(visit.service_account)
