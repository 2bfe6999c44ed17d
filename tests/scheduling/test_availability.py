"""Slots from working hours, time off, bookings and travel: pure, no database."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.availability import (
    Grid,
    Interval,
    NoSlots,
    ResourcePlan,
    Rules,
    Stop,
    Window,
    day_slots,
    local_day,
    place,
    subtract,
    working_windows,
)

LA = ZoneInfo("America/Los_Angeles")
UTC = ZoneInfo("UTC")
SITE = (47.6205, -122.3493)  # Space Needle
NEAR = (47.6097, -122.3422)  # Pike Place, ~1.3 km away
FAR = (47.2529, -122.4443)  # Tacoma, ~41 km away
HOUR = timedelta(hours=1)
MON_TO_FRI_8_TO_16 = [(d, time(8), time(16)) for d in range(5)]


def at(day: str, hhmm: str, tz=LA) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=tz)


def plan(hours=MON_TO_FRI_8_TO_16, span_day=date(2030, 3, 4), home=NEAR, stops=(), off=(), rid=1):
    windows = working_windows(hours, LA, local_day(span_day, LA))
    return ResourcePlan(rid, home, subtract(windows, off), list(stops))


def rules(now, step=30, speed=40.0, notice=timedelta(hours=2), horizon=timedelta(days=30)):
    return Rules(Grid(timedelta(minutes=step), LA), speed, now + notice, now + horizon)


def local_times(starts):
    return local_times_in(starts, LA)


def local_times_in(starts, zone):
    return [s.astimezone(zone).strftime("%H:%M") for s in starts]


NOW = at("2030-03-01", "09:00")


def test_a_free_day_offers_every_step_that_fits_the_hours():
    slots = day_slots(
        day=local_day(date(2030, 3, 4), LA), duration=2 * HOUR, plans=[plan()],
        site=SITE, rules=rules(NOW), now=NOW,
    )  # fmt: skip
    # Travel from home (1.3 km at 40 km/h, about 2 minutes) rules out 08:00.
    assert local_times(slots.starts) == [
        "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30",
        "13:00", "13:30", "14:00",
    ]  # fmt: skip
    assert slots.reason is None


def test_split_hours_leave_the_break_free():
    hours = [(0, time(8), time(12)), (0, time(13), time(17))]
    slots = day_slots(
        day=local_day(date(2030, 3, 4), LA), duration=HOUR, plans=[plan(hours, home=SITE)],
        site=SITE, rules=rules(NOW, step=60), now=NOW,
    )  # fmt: skip
    assert local_times(slots.starts) == [
        "08:00", "09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00",
    ]  # fmt: skip


def test_time_off_removes_its_part_of_the_day():
    off = [Interval(at("2030-03-04", "10:00"), at("2030-03-04", "13:00"))]
    slots = day_slots(
        day=local_day(date(2030, 3, 4), LA), duration=HOUR,
        plans=[plan(home=SITE, off=off)], site=SITE, rules=rules(NOW, step=60), now=NOW,
    )  # fmt: skip
    assert local_times(slots.starts) == ["08:00", "09:00", "13:00", "14:00", "15:00"]


def test_a_booking_blocks_its_time_and_the_travel_around_it():
    # An appointment in Tacoma 11:00-12:00: 41 km takes about an hour each way.
    stop = Stop(at("2030-03-04", "11:00"), at("2030-03-04", "12:00"), FAR)
    slots = day_slots(
        day=local_day(date(2030, 3, 4), LA), duration=HOUR,
        plans=[plan(home=SITE, stops=[stop])], site=SITE, rules=rules(NOW), now=NOW,
    )  # fmt: skip
    assert local_times(slots.starts) == ["08:00", "08:30", "13:30", "14:00", "14:30", "15:00"]


def test_travel_is_from_the_previous_stop_not_from_home():
    stop = Stop(at("2030-03-04", "08:00"), at("2030-03-04", "09:00"), SITE)
    p = plan(home=FAR, stops=[stop])
    placement = place(p, at("2030-03-04", "09:00"), at("2030-03-04", "10:00"), SITE, 40.0)
    assert placement is not None
    assert placement.distance_km == 0
    assert placement.stops_that_day == 1


def test_a_day_off_says_nobody_works():
    saturday = date(2030, 3, 9)
    slots = day_slots(
        day=local_day(saturday, LA), duration=HOUR, plans=[plan(span_day=saturday)],
        site=SITE, rules=rules(NOW), now=NOW,
    )  # fmt: skip
    assert slots == (slots.__class__([], NoSlots.NOT_WORKING))


def test_a_full_day_says_fully_booked():
    stop = Stop(at("2030-03-04", "08:00"), at("2030-03-04", "16:00"), SITE)
    slots = day_slots(
        day=local_day(date(2030, 3, 4), LA), duration=HOUR,
        plans=[plan(home=SITE, stops=[stop])], site=SITE, rules=rules(NOW), now=NOW,
    )  # fmt: skip
    assert (slots.starts, slots.reason) == ([], NoSlots.FULLY_BOOKED)


def test_minimum_notice_hides_the_next_hours_and_says_so_when_nothing_is_left():
    now = at("2030-03-04", "12:10")
    day = local_day(date(2030, 3, 4), LA)
    slots = day_slots(
        day=day, duration=HOUR, plans=[plan(home=SITE)], site=SITE, rules=rules(now), now=now
    )
    assert local_times(slots.starts) == ["14:30", "15:00"]
    later = at("2030-03-04", "13:30")
    none_left = day_slots(
        day=day, duration=HOUR, plans=[plan(home=SITE)], site=SITE, rules=rules(later), now=later
    )
    assert (none_left.starts, none_left.reason) == ([], NoSlots.MIN_NOTICE)


def test_days_past_and_beyond_the_horizon_say_so():
    kwargs = {"duration": HOUR, "plans": [plan()], "site": SITE, "rules": rules(NOW), "now": NOW}
    assert day_slots(day=local_day(date(2030, 2, 27), LA), **kwargs).reason == NoSlots.PAST
    far = day_slots(day=local_day(date(2030, 4, 15), LA), **kwargs)
    assert far.reason == NoSlots.BEYOND_HORIZON


def test_no_eligible_resource_says_so():
    slots = day_slots(
        day=local_day(date(2030, 3, 4), LA), duration=HOUR, plans=[], site=SITE,
        rules=rules(NOW), now=NOW,
    )  # fmt: skip
    assert slots.reason == NoSlots.NO_RESOURCE


@pytest.mark.parametrize(
    ("day", "hours_long", "utc_8am"),
    [
        (date(2030, 3, 10), 23, "15:00"),  # spring forward: 8:00 PDT is 15:00 UTC
        (date(2030, 11, 3), 25, "16:00"),  # fall back: 8:00 PST is 16:00 UTC
        (date(2030, 3, 9), 24, "16:00"),  # the Saturday before, still PST
    ],
)
def test_dst_days_keep_working_hours_on_the_wall_clock(day, hours_long, utc_8am):
    every_day = [(d, time(8), time(16)) for d in range(7)]
    span = local_day(day, LA)
    assert span.end - span.start == timedelta(hours=hours_long)
    p = ResourcePlan(1, SITE, working_windows(every_day, LA, span), [])
    now = datetime.combine(day - timedelta(days=3), time(0), tzinfo=LA)

    slots = day_slots(
        day=span, duration=HOUR, plans=[p], site=SITE, rules=rules(now, step=60), now=now
    )

    assert local_times(slots.starts) == [f"{h:02d}:00" for h in range(8, 16)]
    assert slots.starts[0].astimezone(UTC).strftime("%H:%M") == utc_8am


def test_the_grid_on_a_dst_day_stays_on_the_local_wall_clock():
    every_30 = Grid(timedelta(minutes=30), LA)
    starts = every_30.starts(local_day(date(2030, 3, 10), LA))
    assert len(starts) == 46  # 23 hours
    labels = local_times(starts)
    assert "02:00" not in labels and "02:30" not in labels  # the skipped hour
    assert labels[:6] == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]
    fall = every_30.starts(local_day(date(2030, 11, 3), LA))
    assert local_times(fall) == [*labels[:4], "02:00", "02:30", *labels[4:]]  # each once


def test_windows_come_from_the_resource_time_zone():
    oslo = ZoneInfo("Europe/Oslo")
    hours = [(0, time(8), time(16))]  # Monday
    windows = working_windows(
        hours, oslo, Interval(at("2030-03-04", "00:00", UTC), at("2030-03-05", "00:00", UTC))
    )
    assert windows == [
        Window(at("2030-03-04", "07:00", UTC), at("2030-03-04", "15:00", UTC), date(2030, 3, 4))
    ]


def test_subtracting_time_off_can_split_a_window():
    w = Window(at("2030-03-04", "08:00"), at("2030-03-04", "16:00"), date(2030, 3, 4))
    off = Interval(at("2030-03-04", "10:00"), at("2030-03-04", "11:00"))
    assert subtract([w], [off]) == [
        Window(w.start, off.start, w.day),
        Window(off.end, w.end, w.day),
    ]


def test_the_last_day_of_the_horizon_says_so_when_its_times_lie_beyond_it():
    # The horizon ends at 07:00 on the Monday, before the technician starts.
    now = at("2030-03-04", "07:00") - timedelta(days=30)
    slots = day_slots(
        day=local_day(date(2030, 3, 4), LA), duration=HOUR, plans=[plan()], site=SITE,
        rules=rules(now), now=now,
    )  # fmt: skip
    assert (slots.starts, slots.reason) == ([], NoSlots.BEYOND_HORIZON)


SPLIT = [(0, time(8), time(12)), (0, time(13), time(17))]
BELLEVUE = (47.6101, -122.2015)  # about 11 km from SITE: 16 minutes at 40 km/h


@pytest.mark.parametrize("booked_first", ["morning", "afternoon"])
def test_travel_across_a_break_counts_the_same_either_way(booked_first):
    """Travel happens in working time, so the lunch break never carries a technician to
    the next stop, whichever of the two visits was booked first."""
    morning = (at("2030-03-04", "11:00"), at("2030-03-04", "12:00"), SITE)
    afternoon = (at("2030-03-04", "13:00"), at("2030-03-04", "14:00"), BELLEVUE)
    existing, asked = (morning, afternoon) if booked_first == "morning" else (afternoon, morning)
    p = plan(SPLIT, home=SITE, stops=[Stop(*existing)])
    assert place(p, asked[0], asked[1], asked[2], 40.0) is None
    # With 30 minutes of working time to spare it fits, again either way.
    earlier = (at("2030-03-04", "10:30"), at("2030-03-04", "11:30"), SITE)
    later = (at("2030-03-04", "13:30"), at("2030-03-04", "14:30"), BELLEVUE)
    existing, asked = (earlier, later) if booked_first == "morning" else (later, earlier)
    p = plan(SPLIT, home=SITE, stops=[Stop(*existing)])
    assert place(p, asked[0], asked[1], asked[2], 40.0) is not None


def test_overlapping_or_touching_hours_make_one_window():
    hours = [(0, time(8), time(12)), (0, time(12), time(16)), (0, time(9), time(10))]
    windows = working_windows(hours, LA, local_day(date(2030, 3, 4), LA))
    assert windows == [
        Window(at("2030-03-04", "08:00"), at("2030-03-04", "16:00"), date(2030, 3, 4))
    ]
    # A visit across noon fits, and a stop at 12:00 still counts as the next one.
    tacoma_at_noon = Stop(at("2030-03-04", "12:00"), at("2030-03-04", "13:00"), FAR)
    p = ResourcePlan(1, SITE, windows, [tacoma_at_noon])
    assert place(p, at("2030-03-04", "10:30"), at("2030-03-04", "11:30"), SITE, 40.0) is None
    assert place(p, at("2030-03-04", "09:30"), at("2030-03-04", "10:30"), SITE, 40.0) is not None


BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_45 = timedelta(minutes=45)


def wall_clock_grid(step_minutes: int, *, skip: range = range(0)) -> list[str]:
    """Every step from midnight as a clock on the wall shows it, without the minutes in
    `skip` (the hour a spring-forward day does not have)."""
    minutes = [m for m in range(0, 24 * 60, step_minutes) if m not in skip]
    return [f"{m // 60:02d}:{m % 60:02d}" for m in minutes]


def every_five_minutes(span: Interval) -> list[datetime]:
    five = timedelta(minutes=5)
    return [span.start + i * five for i in range((span.end - span.start) // five)]


def test_a_spring_forward_day_keeps_the_wall_clock_grid_and_skips_the_missing_hour():
    # 2027-03-28, Berlin: 02:00 CET jumps to 03:00 CEST, so 02:15 does not exist.
    grid, day = Grid(EVERY_45, BERLIN), local_day(date(2027, 3, 28), BERLIN)
    starts = grid.starts(day)
    assert local_times_in(starts, BERLIN) == wall_clock_grid(45, skip=range(120, 180))
    assert [t for t in every_five_minutes(day) if grid.has(t)] == starts


def test_a_fall_back_day_offers_each_wall_clock_time_once_at_its_first_occurrence():
    # 2027-10-31, Berlin: 03:00 CEST falls back to 02:00 CET; 02:00-02:59 happen twice.
    grid, day = Grid(EVERY_45, BERLIN), local_day(date(2027, 10, 31), BERLIN)
    starts = grid.starts(day)
    assert local_times_in(starts, BERLIN) == wall_clock_grid(45)
    twice = starts[wall_clock_grid(45).index("02:15")]
    assert twice.astimezone(BERLIN).utcoffset() == timedelta(hours=2)  # CEST, the first
    assert not grid.has(twice + timedelta(hours=1))  # 02:15 CET, the second
    assert grid.has(datetime(2027, 10, 31, 2, 15, tzinfo=BERLIN))  # fold=0: the first
    assert [t for t in every_five_minutes(day) if grid.has(t)] == starts


def test_a_customer_in_another_zone_gets_the_site_grid_shown_in_their_own_time():
    # 2027-03-20: New York is already on summer time, Berlin not yet: 5 hours apart, so a
    # 45-minute grid from New York's midnight would fall at :15 and :45 past Berlin's.
    saturday = date(2027, 3, 20)
    new_york_day = local_day(saturday, NEW_YORK)  # 05:00 Saturday to 05:00 Sunday in Berlin
    grid = Grid(EVERY_45, BERLIN)
    starts = grid.starts(new_york_day)
    assert local_times_in(starts, BERLIN) == (
        wall_clock_grid(45)[7:] + wall_clock_grid(45)[:7]  # 05:15 .. 23:15, 00:00 .. 04:30
    )
    assert local_times_in(starts, NEW_YORK)[:4] == ["00:15", "01:00", "01:45", "02:30"]
    assert [t for t in every_five_minutes(new_york_day) if grid.has(t)] == starts

    berlin_site = (52.52, 13.405)
    hours = working_windows([(5, time(8), time(16))], BERLIN, new_york_day)
    now = datetime(2027, 3, 15, 12, tzinfo=UTC)
    slots = day_slots(
        day=new_york_day, duration=HOUR, plans=[ResourcePlan(1, berlin_site, hours, [])],
        site=berlin_site, rules=Rules(grid, 40.0, now, now + timedelta(days=30)), now=now,
    )  # fmt: skip
    assert local_times_in(slots.starts, BERLIN) == [
        "08:15", "09:00", "09:45", "10:30", "11:15", "12:00", "12:45", "13:30", "14:15", "15:00",
    ]  # fmt: skip
