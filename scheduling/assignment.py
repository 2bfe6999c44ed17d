"""Which resource takes a visit: among those free for it, the least travel distance from
where each will be (its previous stop that day, else home); ties go to the one with fewer
appointments that day, then the lowest id. Pure: plain data in, Placements out."""

from collections.abc import Iterable
from datetime import datetime

from scheduling.availability import Placement, Point, ResourcePlan, place


def rank(
    plans: Iterable[ResourcePlan],
    start: datetime,
    end: datetime,
    site: Point,
    speed_kmh: float,
) -> list[Placement]:
    """Every resource free for [start, end), best first."""
    placements = (place(plan, start, end, site, speed_kmh) for plan in plans)
    return sorted(
        (p for p in placements if p is not None),
        key=lambda p: (p.distance_km, p.stops_that_day, p.resource_id),
    )
