"""The dispatchers' map: the day's technicians, where each was last seen, and for the
Traveling ones when they will arrive. Two reads whatever the number of technicians: one
query for the appointments around today, one round trip for the latest positions
(tracking.positions, never the pings). Dispatchers see exact positions and full names; the
customers' rules are tracking.livemap's."""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from django.conf import settings

from scheduling.models import Appointment, SchedulingSettings, zone_for
from scheduling.timelabels import TIME, local_text
from tracking import positions
from tracking.livemap import age_text, arrival, initials
from tracking.positions import Position

Status = Appointment.Status


@dataclass(frozen=True)
class Row:
    """One technician: a marker (when a position is known) and a row of the table."""

    id: int
    initials: str
    label: str  # the marker's text alternative
    latitude: float | None
    longitude: float | None
    stale: bool
    cells: tuple[str, str, str, str]  # technician, now, position, arrival


def board(*, now: datetime) -> dict:
    """The day's technicians (an appointment, not canceled, on their own today), by name, and
    the middle of their day's sites, where the map looks while none has a position."""
    around = Appointment.objects.filter(
        start__lt=now + timedelta(days=1), end__gt=now - timedelta(days=1)
    ).exclude(status=Status.CANCELED)
    around = around.select_related("resource__user", "service_account").order_by(
        "resource_id", "start"
    )
    days = {}
    for resource_id, group in groupby(around, key=lambda a: a.resource_id):
        visits = list(group)
        zone = ZoneInfo(visits[0].resource.time_zone)
        today = now.astimezone(zone).date()
        todays = [
            a
            for a in visits
            if a.start.astimezone(zone).date() <= today <= a.end.astimezone(zone).date()
        ]
        if todays:
            days[resource_id] = todays
    latest = positions.latest_many(days)
    speed = SchedulingSettings.current().travel_speed_kmh
    rows = [_row(visits, latest.get(rid), now, speed) for rid, visits in days.items()]
    sites = [a.service_account.point for visits in days.values() for a in visits]
    sites = [point for point in sites if point]
    center = [sum(axis) / len(sites) for axis in zip(*sites, strict=True)] if sites else None
    return {
        "technicians": [asdict(row) for row in sorted(rows, key=lambda r: r.cells[0])],
        "center": center,
    }


def _row(visits: list[Appointment], position: Position | None, now: datetime, speed: float) -> Row:
    user = visits[0].resource.user
    name = user.get_full_name() or user.email
    doing = _doing(visits, now)
    age = max(now - position.recorded_at, timedelta(0)) if position else None
    seen = age_text(int(age.total_seconds())) if age is not None else "No position"
    traveling = next((a for a in visits if a.status == Status.TRAVELING), None)
    arriving = _arriving(traveling, position, now, speed) if traveling and position else ""
    return Row(
        id=visits[0].resource_id,
        initials=initials(user.first_name, user.last_name),
        label=f"{name}: {doing}. {seen}." + (f" {arriving}." if arriving else ""),
        latitude=position.latitude if position else None,
        longitude=position.longitude if position else None,
        stale=age is not None and age > timedelta(seconds=settings.MAP_STALE_AFTER_SECONDS),
        cells=(name, doing, seen, arriving),
    )


def _doing(visits: list[Appointment], now: datetime) -> str:
    for appointment in visits:
        if appointment.status == Status.TRAVELING:
            return f"Traveling to {appointment.service_account}"
        if appointment.status == Status.IN_PROGRESS:
            return f"At {appointment.service_account}"
    for appointment in visits:
        if appointment.status == Status.SCHEDULED and appointment.end > now:
            start = _clock(appointment.start, appointment)
            return f"Next: {appointment.service_account} at {start}"
    return "Done for the day"


def _arriving(visit: Appointment, position: Position, now: datetime, speed: float) -> str:
    """The ETA, as the customer's map has it, unless the position is too old to tell."""
    site = visit.service_account.point
    too_old = timedelta(seconds=settings.MAP_HIDE_AFTER_SECONDS)
    if site is None or now - position.recorded_at > too_old:
        return ""
    eta = arrival(position, site, now=now, travel_speed_kmh=speed)
    if eta.here:
        return "Arriving now"
    return f"About {eta.minutes} min, around {_clock(eta.arrival, visit)}"


def _clock(moment: datetime, visit: Appointment) -> str:
    """On the site's clock, as admin shows a visit's times: "10:40 AM PDT"."""
    return local_text(moment, zone_for(account=visit.service_account), TIME)
