"""The arrival estimate, with no database: plain data in, minutes and a clock time out."""

from datetime import UTC, datetime, timedelta

import pytest

from scheduling.availability import distance_km
from tracking.eta import DETOUR, estimate

NOW = datetime(2030, 6, 4, 16, 0, tzinfo=UTC)
SITE = (47.6097, -122.3422)  # Pike Place Market
# 12 km north, on the same meridian
NORTH = (47.6097 + 12 / 111.2, -122.3422)


def eta(position=NORTH, *, speed=None, age=timedelta(0), travel_speed=40.0):
    return estimate(
        position=position,
        site=SITE,
        recorded_at=NOW - age,
        now=NOW,
        speed_mps=speed,
        travel_speed_kmh=travel_speed,
    )


def test_without_a_speed_the_scheduling_travel_speed_is_used():
    result = eta(travel_speed=40.0)
    assert result.distance_km == pytest.approx(12.0, abs=0.1)
    assert result.minutes == 18  # 12 km at 40 km/h
    assert result.arrival == NOW + timedelta(minutes=18)


def test_a_reported_road_speed_is_used_with_the_detour():
    result = eta(speed=20.0)  # 72 km/h on the road
    road_minutes = distance_km(NORTH, SITE) * DETOUR / 72 * 60
    assert result.minutes == pytest.approx(road_minutes, abs=1)
    assert result.minutes == 13


@pytest.mark.parametrize("speed", [0.0, 1.5, 80.0])
def test_standing_still_or_a_glitch_falls_back_to_the_travel_speed(speed):
    assert eta(speed=speed).minutes == eta(speed=None).minutes


def test_an_older_position_counts_the_time_since_as_travelled():
    fresh = eta()
    older = eta(age=timedelta(minutes=5))
    assert older.minutes == fresh.minutes - 5


def test_a_position_older_than_the_trip_does_not_give_an_arrival_in_the_past():
    result = eta(age=timedelta(hours=2))
    assert result.minutes == 1
    assert result.arrival == NOW + timedelta(minutes=1)


def test_at_the_door_it_is_zero_minutes():
    next_door = (SITE[0] + 0.0005, SITE[1])  # about 55 m
    result = eta(next_door)
    assert result.here
    assert result.minutes == 0
    assert result.arrival == NOW


def test_minutes_round_up():
    # 1.5 km at 40 km/h is 2 min 15 s: "about 3 minutes", never "2" and late.
    position = (SITE[0] + 1.5 / 111.2, SITE[1])
    assert eta(position).minutes == 3
