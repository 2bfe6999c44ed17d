"""When the technician will arrive: from the latest position, the site and the speed the
device reported, a plain function with no database (unit-tested in tests/tracking/test_eta.py).

Distances are straight lines, as the scheduling's travel times are. A device's speed is speed
along roads, which wind: the straight line is taken as DETOUR times shorter than the road. A
device standing still (a red light, a coffee) or reporting no speed would make the estimate
jump about, so below MOVING the scheduling's travel speed is used instead, as it is for a
visit's travel buffer."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduling.availability import Point, distance_km

DETOUR = 1.3  # road distance over straight-line distance, a typical figure for towns
MOVING = 10 / 3.6  # m/s: slower than 10 km/h counts as not on the move
FASTEST = 130 / 3.6  # m/s: a reported speed above this is a GPS glitch, not a road speed
HERE_KM = 0.1  # this close, the technician is at the door


@dataclass(frozen=True)
class Estimate:
    distance_km: float  # straight line, from where the technician was last seen
    minutes: int  # from now, rounded up; 0 at the door
    arrival: datetime  # when, in UTC

    @property
    def here(self) -> bool:
        return self.minutes == 0


def estimate(
    *,
    position: Point,
    site: Point,
    recorded_at: datetime,
    now: datetime,
    speed_mps: float | None,
    travel_speed_kmh: float,
) -> Estimate:
    """The arrival at `site` of a technician who was at `position` at `recorded_at`. The
    time since then counts as travelled, so an older position does not delay the estimate."""
    km = distance_km(position, site)
    if km <= HERE_KM:
        return Estimate(km, 0, now)
    if speed_mps is not None and MOVING <= speed_mps <= FASTEST:
        hours = km * DETOUR / (speed_mps * 3.6)
    else:
        hours = km / travel_speed_kmh
    arrival = max(recorded_at + timedelta(hours=hours), now)
    minutes = math.ceil((arrival - now).total_seconds() / 60)
    return Estimate(km, max(minutes, 1), now + timedelta(minutes=max(minutes, 1)))
