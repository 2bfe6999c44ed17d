"""Technicians somewhere on the way: positions a given distance north of a site, reported
through tracking.positions as the ingest worker reports them."""

from datetime import timedelta

from django.utils import timezone

from scheduling.services import transition
from tracking import positions
from tracking.positions import Position

KM_PER_DEGREE = 111.2  # along a meridian


def north_of(site: tuple[float, float], km: float) -> tuple[float, float]:
    return (site[0] + km / KM_PER_DEGREE, site[1])


def report(resource, point: tuple[float, float], *, age=timedelta(seconds=20), speed=None):
    """Make `point`, recorded `age` ago, the technician's latest position."""
    now = timezone.now()
    position = Position(
        latitude=point[0], longitude=point[1], accuracy=8.0, recorded_at=now - age,
        received_at=now, speed=speed, heading=None,
    )  # fmt: skip
    assert positions.advance(resource.pk, position)
    return position


def start_travel(appointment):
    """The technician sets off, as their app says so (scheduling's one transition)."""
    return transition(appointment=appointment, to="traveling", by=appointment.resource.user)
