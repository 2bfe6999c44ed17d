"""The demo's technicians on the road (`manage.py simulate_technicians`): each technician with
a Traveling visit drives toward its site, and every few seconds their position goes to the
portal's own API (`POST locations`) as a phone sends it, through the token check, the point
checks, the queue and the worker. So the live map moves on a machine where nobody drives.

Each technician gets a device of its own ("Demo simulator"), paired through tracking.devices
with a fresh code at each start; the token lives in this process only. A trip starts where
the technician was last seen when that is recent and short of the site, else at their home
base, and ends at the site: the visit stays Traveling (the technician's app or admin moves
it on), and the technician stays there, sending nothing more."""

import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from django.db import DatabaseError, connections
from django.urls import reverse
from django.utils import timezone
from geographiclib.geodesic import Geodesic

from scheduling.models import Appointment, Resource
from tracking import devices, positions
from tracking.models import Device

DEVICE_NAME = "Demo simulator"
ARRIVED_M = 15.0  # this close to the site is there
RESUME_WITHIN = timedelta(minutes=10)  # a position this recent is where a trip goes on from
JITTER = 0.2  # each step is up to this much faster or slower than the cruising speed

Place = tuple[float, float]  # latitude, longitude in degrees


@dataclass(frozen=True)
class Step:
    latitude: float
    longitude: float
    heading: float  # degrees from north, 0 up to 360
    remaining_m: float
    arrived: bool


def step(here: Place, site: Place, metres: float) -> Step:
    """Where one gets from `here` going `metres` straight toward `site` (on the ellipsoid),
    never past it."""
    line = Geodesic.WGS84.Inverse(*here, *site)
    if line["s12"] <= max(metres, ARRIVED_M):
        return Step(site[0], site[1], line["azi2"] % 360, 0.0, True)
    moved = Geodesic.WGS84.Direct(*here, line["azi1"], metres)
    return Step(moved["lat2"], moved["lon2"], moved["azi2"] % 360, line["s12"] - metres, False)


def distance_m(a: Place, b: Place) -> float:
    return Geodesic.WGS84.Inverse(*a, *b)["s12"]


@dataclass
class Answer:
    status: int | None  # None: no answer (the portal is not up, or unreachable)
    body: dict
    retry_after: float | None = None


# No proxies: the portal is posted to directly, whatever the environment says.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post_points(url: str, token: str, points: list[dict], *, timeout: float = 10) -> Answer:
    """POST a batch to the API's `locations` at `url`, as a device does."""
    request = urllib.request.Request(  # noqa: S310 (http or https: the command checks it)
        url,
        data=json.dumps({"pings": points}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Answer(response.status, _json(response.read()))
    except urllib.error.HTTPError as error:
        return Answer(error.code, _json(error.read()), _seconds(error.headers.get("Retry-After")))
    except OSError:  # URLError, refused, reset, timed out
        return Answer(None, {})


def _json(raw: bytes) -> dict:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def paired_token(resource: Resource) -> str:
    """A token for the technician's simulator device, paired as a phone pairs: a new code,
    used at once. The device's earlier token stops working."""
    device = Device.objects.filter(
        resource=resource, name=DEVICE_NAME, revoked_at__isnull=True
    ).first() or Device.objects.create(resource=resource, name=DEVICE_NAME)
    _, token = devices.pair(code=devices.make_pairing_code(device=device))
    return token


def starting_point(resource: Resource, site: Place, *, now: datetime) -> Place | None:
    """Where the technician's trip starts: their latest position when it is recent and short
    of the site (the simulator was restarted mid-trip), else their home base (so each `make
    run` shows the drive again), else nowhere."""
    last = positions.latest(resource.pk)
    if last is not None and now - last.recorded_at <= RESUME_WITHIN:
        here = (last.latitude, last.longitude)
        if distance_m(here, site) > ARRIVED_M:
            return here
    if resource.home_latitude is None or resource.home_longitude is None:
        return None
    return (resource.home_latitude, resource.home_longitude)


@dataclass
class Trip:
    appointment_id: int
    resource: Resource
    site: Place
    address: str
    here: Place
    token: str | None = None
    arrived: bool = False
    moved_at: float | None = None  # monotonic time of the last accepted point
    wait_until: float = 0.0  # monotonic; the portal asked to wait (Retry-After)
    said: str = ""  # the last problem printed, so that it is printed once


class Simulator:
    """Moves every Traveling technician a step toward their site at each `tick`."""

    def __init__(
        self,
        *,
        base_url: str,
        speed_kmh: float,
        technicians: Iterable[str] = (),
        say: Callable[[str], None] = print,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ):
        self.url = base_url.rstrip("/") + reverse("tech-api-v1:locations")
        self.base_url = base_url
        self.cruising_mps = speed_kmh / 3.6
        self.technicians = {email.lower() for email in technicians}
        self.say = say
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 (jitter, not secrets)
        self.trips: dict[int, Trip] = {}
        self.waiting_said = False

    @property
    def driving(self) -> bool:
        return any(not trip.arrived for trip in self.trips.values())

    def tick(self) -> None:
        """Take up new Traveling visits, drop the ones that left Traveling, and move each
        technician still on the road."""
        self._refresh()
        for trip in list(self.trips.values()):
            if not trip.arrived and self.clock() >= trip.wait_until:
                self._drive(trip)

    def _refresh(self) -> None:
        current = {visit.resource_id: visit for visit in self._traveling()}
        for resource_id, trip in list(self.trips.items()):
            visit = current.get(resource_id)
            if visit is None or visit.pk != trip.appointment_id:
                if not trip.arrived:
                    self.say(f"{trip.resource}: the visit is no longer Traveling; stopped.")
                del self.trips[resource_id]
        for resource_id, visit in current.items():
            if resource_id not in self.trips:
                trip = self._start(visit)
                if trip is not None:
                    self.trips[resource_id] = trip

    def _traveling(self) -> list[Appointment]:
        """The earliest Traveling visit of each technician, at a site with a location."""
        visits = (
            Appointment.objects.filter(
                status=Appointment.Status.TRAVELING,
                service_account__latitude__isnull=False,
                service_account__longitude__isnull=False,
            )
            .select_related("service_account", "resource__user")
            .order_by("resource_id", "start", "id")
        )
        if self.technicians:
            visits = visits.filter(resource__user__email__in=self.technicians)
        earliest: dict[int, Appointment] = {}
        for visit in visits:
            earliest.setdefault(visit.resource_id, visit)
        return list(earliest.values())

    def _start(self, visit: Appointment) -> Trip | None:
        account, resource = visit.service_account, visit.resource
        site = (account.latitude, account.longitude)
        here = starting_point(resource, site, now=timezone.now())
        if here is None:
            self.say(f"{resource}: no home base and no recent position; not moved.")
            return None
        trip = Trip(visit.pk, resource, site, account.address, here)
        km = distance_m(here, site) / 1000
        self.say(
            f"{resource} drives to {account.address} ({km:.1f} km at about "
            f"{self.cruising_mps * 3.6:.0f} km/h)."
        )
        return trip

    def _drive(self, trip: Trip) -> None:
        now = self.clock()
        elapsed = 0.0 if trip.moved_at is None else now - trip.moved_at
        # A little faster or slower each time, as traffic goes.
        speed = self.cruising_mps * self.rng.uniform(1 - JITTER, 1 + JITTER)
        to = step(trip.here, trip.site, speed * elapsed)
        point = {
            "id": str(uuid4()),
            "latitude": to.latitude,
            "longitude": to.longitude,
            "accuracy": round(self.rng.uniform(4, 12), 1),
            "recorded_at": datetime.now(UTC).isoformat(),
            "speed": 0.0 if to.arrived else round(speed, 2),
            "heading": round(to.heading, 1),
        }
        if trip.token is None:
            trip.token = paired_token(trip.resource)
        answer = post_points(self.url, trip.token, [point])
        if answer.status is None:
            if not self.waiting_said:
                self.say(f"Waiting for the portal at {self.base_url} …")
                self.waiting_said = True
            return  # not moved: the technician waits with the portal
        if answer.status == 202:
            self._moved(trip, to, now, answer.body)
        elif answer.status == 401:
            trip.token = None  # revoked in admin, or paired elsewhere: pair again
            self._problem(trip, "its token was refused (401); pairing again.")
        elif answer.status in (429, 503):
            trip.wait_until = now + (answer.retry_after or 5)
        else:
            self._problem(trip, f"{answer.status} {answer.body.get('detail', '')}".strip())

    def _moved(self, trip: Trip, to: Step, now: float, body: dict) -> None:
        if body.get("rejected"):
            reasons = "; ".join(r.get("reason", "") for r in body.get("rejections", []))
            self._problem(trip, f"the point was not kept: {reasons}")
        trip.here, trip.moved_at, trip.said = (to.latitude, to.longitude), now, ""
        if to.arrived:
            trip.arrived = True
            self.say(f"{trip.resource} arrived at {trip.address}.")

    def _problem(self, trip: Trip, text: str) -> None:
        if text != trip.said:
            self.say(f"{trip.resource}: {text}")
            trip.said = text


def run(
    simulator: Simulator,
    *,
    every: float,
    until_arrived: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Tick every `every` seconds; with `until_arrived`, return once nobody is on the road
    (each one's arrival accepted by the portal), else run until stopped."""
    while True:
        try:
            simulator.tick()
        except DatabaseError as exc:
            # A long-running process: the database may restart (or SQLite be busy). Try again
            # at the next tick on a fresh connection.
            simulator.say(f"Database error ({exc}); trying again.")
            connections.close_all()
        if until_arrived and not simulator.driving:
            if not simulator.trips:
                simulator.say("Nobody is traveling.")
            return
        sleep(every)
