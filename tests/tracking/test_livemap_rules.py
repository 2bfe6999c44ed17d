"""What the customer's map shows, with no database: the coarse grid, the rounded distance,
the age, and the panel's words in each case (tracking.livemap.show is a plain function)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.availability import distance_km
from tests.support.livemap import north_of
from tracking.livemap import Rules, Visit, age_text, coarse, show
from tracking.positions import Position

NOW = datetime(2030, 6, 4, 16, 0, tzinfo=UTC)  # 9:00 AM in Seattle
SITE = (47.6205, -122.3493)
RULES = Rules(
    exact_within_km=2.0,
    stale_after=timedelta(minutes=2),
    hide_after=timedelta(minutes=10),
    show_initials=False,
    show_phone=False,
)


def visit(status="traveling", site=SITE, first_name="Sam") -> Visit:
    return Visit(
        pk=1, status=status, start=NOW + timedelta(hours=1), end=NOW + timedelta(hours=2),
        resource_id=1, site=site, address="400 Broad St",
        first_name=first_name, last_name="Smith", phone="555 0100",
        zone=ZoneInfo("America/Los_Angeles"),
    )  # fmt: skip


def seen(point, age=timedelta(seconds=30), speed=None) -> Position:
    return Position(
        latitude=point[0], longitude=point[1], accuracy=5.0, recorded_at=NOW - age,
        received_at=NOW, speed=speed,
    )  # fmt: skip


def shown(position, **kwargs):
    return show(
        kwargs.pop("v", visit()), position=position, now=NOW, travel_speed_kmh=40.0,
        rules=kwargs.pop("rules", RULES),
    )  # fmt: skip


def test_the_coarse_position_is_within_about_half_a_grid_cell():
    for km in (2.1, 5.0, 12.7, 30.0):
        exact = north_of(SITE, km)
        assert distance_km(exact, coarse(exact)) < 0.36


def test_moving_inside_a_cell_shows_the_same_coarse_position():
    cell = coarse(north_of(SITE, 5))
    nudges = [(dy, dx) for dy in (-0.0003, 0, 0.0003) for dx in (-0.0004, 0, 0.0004)]
    center = cell
    assert {coarse((center[0] + dy, center[1] + dx)) for dy, dx in nudges} == {cell}


@pytest.mark.parametrize(
    ("km", "text"), [(2.1, "About 2 km"), (2.3, "About 2.5 km"), (7.74, "About 7.5 km"),
                     (7.76, "About 8 km"), (1.94, "About 1.9 km"), (0.42, "About 0.4 km")],
)  # fmt: skip
def test_distances_are_in_half_kilometres_until_near(km, text):
    assert shown(seen(north_of(SITE, km))).distance == f"{text} from your site."


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (0, "Updated 0 s ago"), (59, "Updated 59 s ago"), (60, "Updated 1 min ago"),
     (3599, "Updated 59 min ago"), (7300, "Updated 2 h ago")],
)  # fmt: skip
def test_the_age_reads_in_seconds_minutes_or_hours(seconds, text):
    assert age_text(seconds) == text


def test_at_the_door_it_says_arriving_now():
    state = shown(seen(north_of(SITE, 0.05)))
    assert state.announcement == "Sam is arriving now." and state.minutes == 0


def test_one_minute_is_singular():
    state = shown(seen(north_of(SITE, 0.5), age=timedelta(0)))
    assert state.minutes == 1
    assert state.announcement == "Sam is about 1 minute away, arriving around 9:01 AM PDT."


def test_without_the_sites_location_the_position_stays_coarse_and_there_is_no_eta():
    exact = north_of(SITE, 0.3)
    state = shown(seen(exact), v=visit(site=None))
    assert state.technician.approximate is True
    assert (state.technician.latitude, state.technician.longitude) == coarse(exact)
    assert state.minutes is None and state.announcement == "Sam is on the way."


def test_a_technician_without_a_first_name_is_your_technician():
    state = shown(seen(north_of(SITE, 5)), v=visit(first_name=""))
    assert state.announcement.startswith("Your technician is about")


@pytest.mark.parametrize("status", ["scheduled", "in_progress", "completed", "canceled"])
def test_no_position_is_shown_unless_traveling(status):
    state = shown(seen(north_of(SITE, 1)), v=visit(status=status))
    assert state.technician is None and state.minutes is None and state.age_seconds is None


def test_the_unavailable_panel_gives_the_visit_window():
    state = shown(seen(north_of(SITE, 1), age=timedelta(minutes=11)))
    assert state.distance == "Your visit: Tue 4 Jun 2030, 10:00 AM – 11:00 AM PDT."
    assert state.age_seconds == 660
