"""Which resource takes the visit: pure, no database."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.assignment import pick
from scheduling.availability import ResourcePlan, Stop, local_day, working_windows

LA = ZoneInfo("America/Los_Angeles")
SITE = (47.6205, -122.3493)
NEAR = (47.6097, -122.3422)  # 1.3 km
FAR = (47.2529, -122.4443)  # 41 km
DAY = date(2030, 3, 4)
START = datetime(2030, 3, 4, 13, 0, tzinfo=LA)
END = START + timedelta(hours=1)


def resource(rid, home, stops=()):
    windows = working_windows([(0, time(8), time(16))], LA, local_day(DAY, LA))
    return ResourcePlan(rid, home, windows, list(stops))


def visit(hh, where):
    start = datetime(2030, 3, 4, hh, 0, tzinfo=LA)
    return Stop(start, start + timedelta(hours=1), where)


def test_the_least_travel_wins():
    assert pick([resource(1, FAR), resource(2, NEAR)], START, END, SITE, 40).resource_id == 2


def test_distance_counts_from_the_previous_stop_that_day():
    # Resource 1 lives far away but its 10:00 visit is at the site itself.
    chosen = pick([resource(1, FAR, [visit(10, SITE)]), resource(2, NEAR)], START, END, SITE, 40)
    assert (chosen.resource_id, chosen.distance_km) == (1, 0)


def test_a_tie_goes_to_fewer_appointments_that_day():
    busy = resource(1, SITE, [visit(8, SITE), visit(15, SITE)])
    idle = resource(2, SITE)
    assert pick([busy, idle], START, END, SITE, 40).resource_id == 2


def test_then_to_the_lowest_id():
    assert pick([resource(7, NEAR), resource(3, NEAR)], START, END, SITE, 40).resource_id == 3


def test_a_resource_that_cannot_reach_its_next_stop_is_not_chosen():
    # Resource 1's 14:00 visit is in Tacoma, an hour's drive from the site.
    tight = resource(1, NEAR, [visit(14, FAR)])
    assert pick([tight, resource(2, FAR)], START, END, SITE, 40).resource_id == 2


def test_nobody_free_is_none():
    assert pick([resource(1, NEAR, [visit(13, SITE)])], START, END, SITE, 40) is None
