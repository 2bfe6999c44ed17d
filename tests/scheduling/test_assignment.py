"""Which resource takes the visit: pure, no database."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.assignment import rank
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


def ranked_ids(plans):
    return [p.resource_id for p in rank(plans, START, END, SITE, 40)]


def visit(hh, where):
    start = datetime(2030, 3, 4, hh, 0, tzinfo=LA)
    return Stop(start, start + timedelta(hours=1), where)


def test_the_least_travel_wins():
    assert ranked_ids([resource(1, FAR), resource(2, NEAR)]) == [2, 1]


def test_distance_counts_from_the_previous_stop_that_day():
    # Resource 1 lives far away but its 10:00 visit is at the site itself.
    ranked = rank([resource(1, FAR, [visit(10, SITE)]), resource(2, NEAR)], START, END, SITE, 40)
    assert [(p.resource_id, round(p.distance_km, 1)) for p in ranked] == [(1, 0), (2, 1.3)]


def test_a_tie_goes_to_fewer_appointments_that_day():
    busy = resource(1, SITE, [visit(8, SITE), visit(15, SITE)])
    idle = resource(2, SITE)
    assert ranked_ids([busy, idle]) == [2, 1]


def test_then_to_the_lowest_id():
    assert ranked_ids([resource(7, NEAR), resource(3, NEAR)]) == [3, 7]


def test_a_resource_that_cannot_reach_its_next_stop_is_not_chosen():
    # Resource 1's 14:00 visit is in Tacoma, an hour's drive from the site.
    tight = resource(1, NEAR, [visit(14, FAR)])
    assert ranked_ids([tight, resource(2, FAR)]) == [2]


def test_nobody_free_ranks_nobody():
    assert ranked_ids([resource(1, NEAR, [visit(13, SITE)])]) == []
