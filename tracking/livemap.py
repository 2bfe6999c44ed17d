"""What the customer's live map shows of a visit, decided in one place for the page and for
its refresh, so the two never disagree about what a customer may see.

The rules (DESIGN.md, "Locations"): a position only while the visit is Traveling; the
technician's first name, with initials and phone only when settings allow; until the
technician is within MAP_EXACT_WITHIN_KM of the site the position is snapped to a grid of
about 500 m and the distance rounded to half a kilometre (the customer needs to know how far,
not where the technician lives or stops); a position older than MAP_STALE_AFTER_SECONDS is
shown greyed with its age, one older than MAP_HIDE_AFTER_SECONDS not at all.

`show` is a plain function of plain data; `visit` loads the appointment in one statement and
`current` adds the latest position (tracking.positions, never the pings) and the travel speed
(the booking rules' cached row)."""

import functools
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from scheduling.availability import Point, distance_km
from scheduling.models import (
    Appointment,
    Resource,
    SchedulingSettings,
    ServiceAccount,
)
from scheduling.timelabels import TIME, local_period, local_text
from tracking import positions
from tracking.eta import Estimate, estimate
from tracking.positions import Position

Status = Appointment.Status
GRID_M = 500  # the coarse position's grid
_KM_PER_DEGREE = 111.32  # along a meridian
_STATES = {
    Status.SCHEDULED: "before",
    Status.TRAVELING: "traveling",
    Status.IN_PROGRESS: "arrived",
    Status.COMPLETED: "over",
    Status.CANCELED: "over",
}


@dataclass(frozen=True)
class Rules:
    exact_within_km: float
    stale_after: timedelta
    hide_after: timedelta
    show_initials: bool
    show_phone: bool

    @classmethod
    def from_settings(cls) -> "Rules":
        return cls(
            exact_within_km=settings.MAP_EXACT_WITHIN_KM,
            stale_after=timedelta(seconds=settings.MAP_STALE_AFTER_SECONDS),
            hide_after=timedelta(seconds=settings.MAP_HIDE_AFTER_SECONDS),
            show_initials=settings.MAP_SHOW_TECHNICIAN_INITIALS,
            show_phone=settings.MAP_SHOW_TECHNICIAN_PHONE,
        )


@dataclass(frozen=True)
class Visit:
    """The little of an appointment the map needs."""

    pk: int
    status: str
    start: datetime
    end: datetime
    resource_id: int
    site: Point | None
    address: str
    first_name: str
    last_name: str
    phone: str
    zone: ZoneInfo  # the customer's


@dataclass(frozen=True)
class Marker:
    latitude: float
    longitude: float
    label: str  # the marker's text alternative
    approximate: bool = False


@dataclass(frozen=True)
class MapState:
    """The map's panel and markers. `announcement` is the polite live region's text; the
    page rewrites it only when `minutes` (or `state`) changes, so a screen reader hears of
    the ETA when it moves by a minute, not on every refresh."""

    state: str  # before, traveling, arrived, over
    headline: str
    announcement: str
    minutes: int | None
    distance: str  # outside the live region, as is the age
    age_seconds: int | None
    freshness: str  # fresh, stale, unavailable; empty unless traveling
    technician: Marker | None
    site: Marker | None
    name: str
    initials: str
    phone: str

    @property
    def age(self) -> str:
        return age_text(self.age_seconds)

    def as_json(self) -> dict:
        # By hand rather than dataclasses.asdict, which deep-copies every value: this runs
        # on every refresh of every open map.
        technician, site = self.technician, self.site
        return {
            **vars(self),
            "technician": dict(vars(technician)) if technician else None,
            "site": dict(vars(site)) if site else None,
        }


def visit(*, pk: int, account_id: int, zone: ZoneInfo) -> Visit | None:
    """Appointment `pk` if it is the site `account_id`'s (None otherwise: another customer's
    visit is a 404 as if it did not exist), for a customer who reads times in `zone`.

    One statement written once rather than built by the ORM: every open map asks for it
    every MAP_POLL_SECONDS, and the ORM's joined query with its model instances took about
    0.6 ms of the web process's CPU where this takes 0.05 (`make bench`, map_ratio)."""
    with connection.cursor() as cursor:
        cursor.execute(_visit_sql(), [pk, account_id])
        row = cursor.fetchone()
    if row is None:
        return None
    status, start, end, resource_id, lat, lon, address, first, last, phone = row
    return Visit(
        pk=pk,
        status=status,
        start=_instant(start),
        end=_instant(end),
        resource_id=resource_id,
        site=None if lat is None or lon is None else (lat, lon),
        address=" ".join(address.split()),
        first_name=first,
        last_name=last,
        phone=phone,
        zone=zone,
    )


def current(visit: Visit, *, now: datetime | None = None) -> MapState:
    """The map of `visit` as its customer may see it now: the technician's latest position
    (tracking.positions, never the pings) and the travel-speed rule, read only while the
    visit is Traveling."""
    traveling = visit.status == Status.TRAVELING
    return show(
        visit,
        position=positions.latest(visit.resource_id) if traveling else None,
        now=now or timezone.now(),
        travel_speed_kmh=SchedulingSettings.current().travel_speed_kmh if traveling else 0.0,
        rules=Rules.from_settings(),
    )


def show(
    visit: Visit,
    *,
    position: Position | None,
    now: datetime,
    travel_speed_kmh: float,
    rules: Rules,
) -> MapState:
    name = visit.first_name.strip() or "Your technician"
    state = _STATES[visit.status]
    site = Marker(*visit.site, label=f"Your site: {visit.address}") if visit.site else None
    letters = initials(visit.first_name, visit.last_name) if rules.show_initials else ""
    phone = visit.phone if rules.show_phone else ""
    common = {"name": name, "initials": letters, "phone": phone, "site": site}
    if state != "traveling":
        headline, text = _not_traveling(visit, name)
        return MapState(
            state=state, headline=headline, announcement=text, minutes=None, distance="",
            age_seconds=None, freshness="", technician=None, **common,
        )  # fmt: skip
    age = max(now - position.recorded_at, timedelta(0)) if position else None
    age_seconds = int(age.total_seconds()) if age is not None else None
    headline = f"{name} is on the way"
    if position is None or age > rules.hide_after:
        period = local_period(visit.start, visit.end, visit.zone)
        return MapState(
            state=state, headline=headline,
            announcement=f"{name}’s location is unavailable right now.", minutes=None,
            distance=f"Your visit: {period}.", age_seconds=age_seconds, freshness="unavailable",
            technician=None, **common,
        )  # fmt: skip
    freshness = "stale" if age > rules.stale_after else "fresh"
    exact = (position.latitude, position.longitude)
    if visit.site is None:
        # Nothing to measure from: never near, so never exact.
        where = Marker(*coarse(exact), label=f"{name} (approximate position)", approximate=True)
        return MapState(
            state=state, headline=headline, announcement=f"{name} is on the way.", minutes=None,
            distance="", age_seconds=age_seconds, freshness=freshness, technician=where,
            **common,
        )  # fmt: skip
    km = distance_km(exact, visit.site)
    near = km <= rules.exact_within_km
    distance = f"About {_km_text(km, near)} from your site"
    where = Marker(
        *(exact if near else coarse(exact)),
        label=f"{name}, {distance[0].lower()}{distance[1:]}"
        + ("" if near else " (approximate position)"),
        approximate=not near,
    )
    eta = arrival(position, visit.site, now=now, travel_speed_kmh=travel_speed_kmh)
    if eta.here:
        text = f"{name} is arriving now."
    else:
        unit = "minute" if eta.minutes == 1 else "minutes"
        clock = local_text(eta.arrival, visit.zone, TIME)
        text = f"{name} is about {eta.minutes} {unit} away, arriving around {clock}."
    return MapState(
        state=state, headline=headline, announcement=text, minutes=eta.minutes,
        distance=f"{distance}.", age_seconds=age_seconds, freshness=freshness,
        technician=where, **common,
    )  # fmt: skip


def arrival(position: Position, site: Point, *, now: datetime, travel_speed_kmh: float) -> Estimate:
    """When the technician last seen at `position` reaches `site` (tracking.eta)."""
    return estimate(
        position=(position.latitude, position.longitude),
        site=site,
        recorded_at=position.recorded_at,
        now=now,
        speed_mps=position.speed,
        travel_speed_kmh=travel_speed_kmh,
    )


def coarse(point: Point) -> Point:
    """`point` snapped to a grid of about GRID_M: every position in one cell shows as the
    same point, whichever way the technician moves inside it. The grid's east-west step
    depends only on the snapped latitude, so a cell is the same on every refresh."""
    lat_step = GRID_M / 1000 / _KM_PER_DEGREE
    lat = round(point[0] / lat_step) * lat_step
    lon_step = lat_step / max(math.cos(math.radians(lat)), 0.01)
    lon = round(point[1] / lon_step) * lon_step
    return (round(lat, 6), round(lon, 6))


def age_text(seconds: int | None) -> str:
    """ "Updated 30 s ago"; static/js/live-map.js writes it the same way as time passes."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"Updated {seconds} s ago"
    if seconds < 3600:
        return f"Updated {seconds // 60} min ago"
    return f"Updated {seconds // 3600} h ago"


def _km_text(km: float, near: bool) -> str:
    # Far: in half kilometres (never 0, since far is beyond MAP_EXACT_WITHIN_KM). Near: to
    # 100 m, which says no more than the exact marker does.
    value = round(km, 1) if near else max(round(km * 2) / 2, 0.5)
    return f"{value:g} km"


def initials(first_name: str, last_name: str) -> str:
    return "".join(part.strip()[:1].upper() for part in (first_name, last_name))


def _not_traveling(visit: Visit, name: str) -> tuple[str, str]:
    match visit.status:
        case Status.SCHEDULED:
            period = local_period(visit.start, visit.end, visit.zone)
            return "Not on the way yet", (
                f"{name} is not on the way yet. Your visit is {period}. The map appears "
                "here once the technician sets off."
            )
        case Status.IN_PROGRESS:
            return f"{name} has arrived", f"{name} has arrived; the visit is under way."
        case Status.CANCELED:
            return "Visit over", "This visit was canceled."
    return "Visit over", "This visit is over."


@functools.cache
def _visit_sql() -> str:
    q = connection.ops.quote_name
    tables = {
        "appointments": Appointment,
        "accounts": ServiceAccount,
        "resources": Resource,
        "users": get_user_model(),
    }
    t = {name: q(model._meta.db_table) for name, model in tables.items()}
    # Only names from the models go into the text; values are parameters.
    return (
        f"SELECT a.status, a.{q('start')}, a.{q('end')}, a.resource_id,"  # noqa: S608
        " s.latitude, s.longitude, s.address, u.first_name, u.last_name, u.phone"
        f" FROM {t['appointments']} a"
        f" JOIN {t['accounts']} s ON s.id = a.service_account_id"
        f" JOIN {t['resources']} r ON r.id = a.resource_id"
        f" JOIN {t['users']} u ON u.id = r.user_id"
        " WHERE a.id = %s AND a.service_account_id = %s"
    )


def _instant(value: datetime | str) -> datetime:
    # PostgreSQL hands back aware datetimes; SQLite (make run) the stored UTC, as text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
