"""When can a visit start? Pure functions over plain data: no ORM, no clock.

Times are aware datetimes; intervals are half-open [start, end). Working hours are wall-clock
times in the resource's time zone and become UTC instants per date, so a DST change moves
them correctly. Offered starts lie on the site's grid (see Grid) and are listed under the
customer's calendar day.
"""

import bisect
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from geopy.distance import geodesic

Point = tuple[float, float]
UTC = ZoneInfo("UTC")


class Interval(NamedTuple):
    start: datetime
    end: datetime


class Window(NamedTuple):
    """A working period; `day` is the resource's local date it belongs to."""

    start: datetime
    end: datetime
    day: date


class Stop(NamedTuple):
    """An active appointment the resource already has, with where it is."""

    start: datetime
    end: datetime
    location: Point


@dataclass
class ResourcePlan:
    """What one resource's time looks like over a span: working windows (time off already
    taken out) and its active appointments, both sorted by start."""

    resource_id: int
    home: Point
    windows: list[Window]
    stops: list[Stop]
    _window_starts: list[datetime] = field(init=False, repr=False)
    _stop_starts: list[datetime] = field(init=False, repr=False)
    _shifts: dict[date, list[Window]] = field(init=False, repr=False)

    def __post_init__(self):
        self.windows.sort()
        self.stops.sort()
        self._window_starts = [w.start for w in self.windows]
        self._stop_starts = [s.start for s in self.stops]
        self._shifts = {}
        for w in self.windows:
            self._shifts.setdefault(w.day, []).append(w)

    def window_at(self, start: datetime, end: datetime) -> Window | None:
        """The working window that holds all of [start, end), if one does."""
        i = bisect.bisect_right(self._window_starts, start)
        # Windows of one day never overlap; one from the day before (an overnight shift)
        # may, so look a little further back than the nearest.
        for w in reversed(self.windows[max(0, i - 3) : i]):
            if w.start <= start and end <= w.end:
                return w
        return None

    def working_time(self, day: date, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) falls inside that day's shift: the time there is to
        travel between two stops (a break or time off in between does not count)."""
        total = timedelta(0)
        for w in self._shifts.get(day, ()):
            overlap = min(w.end, end) - max(w.start, start)
            if overlap > timedelta(0):
                total += overlap
        return total


@dataclass(frozen=True)
class Grid:
    """Where offered starts fall: every `step` of wall-clock time from midnight in the
    site's zone, each site day starting afresh. A customer in another zone sees the same
    starts in their own time. A wall-clock time that does not exist (inside a
    spring-forward gap) is not offered; one that happens twice (when clocks fall back) is
    offered once, at its first occurrence."""

    step: timedelta
    zone: ZoneInfo

    def starts(self, span: Interval) -> list[datetime]:
        """The grid's starts in [span.start, span.end), in order, as UTC instants."""
        found = []
        day = span.start.astimezone(self.zone).date()
        last = span.end.astimezone(self.zone).date()
        while day <= last:
            starts = _site_day_starts(day, self.step, self.zone)
            lo, hi = bisect.bisect_left(starts, span.start), bisect.bisect_left(starts, span.end)
            found.extend(starts[lo:hi])
            day += timedelta(days=1)
        return found

    def has(self, start: datetime) -> bool:
        """Whether `start` is one of the starts: check_start accepts exactly these."""
        utc = start.astimezone(UTC)  # a zone-aware time in a fold compares unequal to UTC
        return utc in _site_day_starts(utc.astimezone(self.zone).date(), self.step, self.zone)


@lru_cache(maxsize=4096)
def _site_day_starts(day: date, step: timedelta, zone: ZoneInfo) -> tuple[datetime, ...]:
    """One site day's grid as UTC instants. Stepping the naive wall clock keeps the grid
    on the site's clock across a DST change; fold=0 is the first of two occurrences."""
    starts = []
    wall = datetime.combine(day, time(0))
    while wall.date() == day:
        instant = wall.replace(tzinfo=zone).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall:  # else it does not exist
            starts.append(instant)
        wall += step
    return tuple(starts)


@dataclass(frozen=True)
class Rules:
    grid: Grid
    travel_speed_kmh: float
    earliest: datetime  # now + minimum notice
    latest: datetime  # now + booking horizon


@dataclass(frozen=True)
class Placement:
    """A resource that can take [start, end): how far it travels, how busy its day is."""

    resource_id: int
    distance_km: float
    stops_that_day: int


class NoSlots(enum.Enum):
    """Why a day offers nothing, in the customer's words."""

    PAST = "This day has passed."
    NO_LOCATION = (
        "We cannot offer times until we have confirmed where your site is. Please contact us."
    )
    BEYOND_HORIZON = "This day is beyond how far ahead you can book. Pick an earlier day."
    NO_RESOURCE = (
        "No technician with the skills this visit needs serves your area. "
        "Contact us and we will arrange the visit with you."
    )
    NOT_WORKING = "No technician for this visit works on this day."
    MIN_NOTICE = "The remaining times this day are too soon: visits need more notice."
    FULLY_BOOKED = "This day is fully booked. Please pick another day."

    @property
    def short(self) -> str:
        """A word or two for a greyed-out day in the picker."""
        return _SHORT.get(self, "")


_SHORT = {
    NoSlots.BEYOND_HORIZON: "Later",
    NoSlots.FULLY_BOOKED: "Full",
    NoSlots.NOT_WORKING: "Closed",
    NoSlots.MIN_NOTICE: "Too soon",
}


@dataclass(frozen=True)
class Closed:
    """Why a day offers nothing when the territory is closed (a public holiday): read like
    a NoSlots member (value, short), with the closure's name."""

    name: str
    short = "Closed"

    @property
    def value(self) -> str:
        return f"Closed for {self.name}."


@dataclass(frozen=True)
class DaySlots:
    starts: list[datetime]
    reason: NoSlots | Closed | None  # set when starts is empty


def closure_spans(closures: dict[date, str], site_zone: ZoneInfo) -> list[tuple[Interval, str]]:
    """Closed dates (calendar dates in the site's zone) as UTC spans with their names: 23 or
    25 hours long on DST days."""
    return [(local_day(day, site_zone), name) for day, name in sorted(closures.items())]


def without_closures(
    plans: Sequence[ResourcePlan], spans: Sequence[tuple[Interval, str]]
) -> list[ResourcePlan]:
    """The plans with the closed spans taken out of their working windows."""
    if not spans:
        return list(plans)
    blocks = [span for span, _ in spans]
    return [
        ResourcePlan(p.resource_id, p.home, subtract(p.windows, blocks), p.stops) for p in plans
    ]


@lru_cache(maxsize=65536)
def distance_km(a: Point, b: Point) -> float:
    return geodesic(a, b).km


def travel_time(km: float, speed_kmh: float) -> timedelta:
    return timedelta(hours=km / speed_kmh)


def local_day(day: date, tz: ZoneInfo) -> Interval:
    """The customer's calendar day as UTC instants: 23 or 25 hours long on DST days."""
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return Interval(start, end)


def working_windows(
    hours: Iterable[tuple[int, time, time]], tz: ZoneInfo, span: Interval
) -> list[Window]:
    """Weekly hours (weekday, start, end in the resource's zone) as UTC windows that overlap
    `span`; rows of one day that overlap or touch become one window."""
    week = by_weekday(hours)
    return windows_over(span, tz, lambda first, last: days_windows(week, tz, first, last))


def by_weekday(hours: Iterable[tuple[int, time, time]]) -> dict[int, list[tuple[time, time]]]:
    week: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in hours:
        week.setdefault(weekday, []).append((start, end))
    return week


def windows_over(
    span: Interval, tz: ZoneInfo, windows_between: Callable[[date, date], list[Window]]
) -> list[Window]:
    """Of the windows of the local days whose shifts can overlap `span` (from the day before
    it starts, for a shift that runs past midnight, to the day it ends), those that do."""
    first = span.start.astimezone(tz).date() - timedelta(days=1)
    last = span.end.astimezone(tz).date()
    return [w for w in windows_between(first, last) if w.start < span.end and span.start < w.end]


def days_windows(
    week: dict[int, list[tuple[time, time]]], tz: ZoneInfo, first: date, last: date
) -> list[Window]:
    """The windows of the days from first to last, by the weekly hours."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [w for day in days for w in day_windows(week.get(day.weekday(), ()), tz, day)]


def day_windows(rows: Iterable[tuple[time, time]], tz: ZoneInfo, day: date) -> list[Window]:
    """One local day's hours as UTC windows, sorted; rows that overlap or touch become one
    window. A wall-clock time that does not exist on a DST day (inside the gap) keeps the
    offset from before the gap, so 02:30 on a spring-forward day is 03:30."""
    windows = []
    for start, end in sorted(rows):
        w_start = datetime.combine(day, start, tzinfo=tz).astimezone(UTC)
        w_end = datetime.combine(day, end, tzinfo=tz).astimezone(UTC)
        if w_start >= w_end:
            continue
        if windows and w_start <= windows[-1].end:
            last = windows[-1]
            windows[-1] = Window(last.start, max(last.end, w_end), day)
        else:
            windows.append(Window(w_start, w_end, day))
    return windows


def shifts_touching(windows: Sequence[Window], span: Interval) -> list[Window]:
    """The windows of every shift (one local day's windows) that overlaps the span."""
    days = {w.day for w in windows if w.start < span.end and span.start < w.end}
    return [w for w in windows if w.day in days]


def subtract(windows: Sequence[Window], blocks: Iterable[Interval]) -> list[Window]:
    """`windows` without the parts covered by `blocks` (time off)."""
    result = list(windows)
    for block in blocks:
        next_result = []
        for w in result:
            if block.end <= w.start or w.end <= block.start:
                next_result.append(w)
                continue
            if w.start < block.start:
                next_result.append(Window(w.start, block.start, w.day))
            if block.end < w.end:
                next_result.append(Window(block.end, w.end, w.day))
        result = next_result
    return sorted(result)


def place(
    plan: ResourcePlan, start: datetime, end: datetime, site: Point, speed_kmh: float
) -> Placement | None:
    """Can this resource take [start, end) at `site`? It must be inside one working window,
    overlap no other appointment, and have the working time to travel there from its
    previous stop that day (else from home, from the start of its shift) and on to its
    next stop afterwards. Travel happens in working time, so a break does not count."""
    window = plan.window_at(start, end)
    if window is None:
        return None
    shift = plan._shifts[window.day]
    shift_start, shift_end = shift[0].start, shift[-1].end

    i = bisect.bisect_left(plan._stop_starts, end)  # stops from i on start at or after `end`
    if i > 0 and plan.stops[i - 1].end > start:
        return None  # overlaps the stop just before
    previous = plan.stops[i - 1] if i > 0 and plan.stops[i - 1].end > shift_start else None
    following = plan.stops[i] if i < len(plan.stops) and plan.stops[i].start < shift_end else None

    origin = previous.location if previous else plan.home
    km = distance_km(origin, site)
    since = previous.end if previous else shift_start
    if plan.working_time(window.day, since, start) < travel_time(km, speed_kmh):
        return None
    if following is not None:
        onward = travel_time(distance_km(site, following.location), speed_kmh)
        if plan.working_time(window.day, end, following.start) < onward:
            return None
    lo = bisect.bisect_left(plan._stop_starts, shift_start - timedelta(days=1))
    hi = bisect.bisect_left(plan._stop_starts, shift_end)
    stops_that_day = sum(1 for s in plan.stops[lo:hi] if s.end > shift_start)
    return Placement(plan.resource_id, km, stops_that_day)


def day_slots(
    *,
    day: Interval,
    duration: timedelta,
    plans: Sequence[ResourcePlan],
    site: Point,
    rules: Rules,
    now: datetime,
    first_only: bool = False,
    closures: Sequence[tuple[Interval, str]] = (),
) -> DaySlots:
    """The starts on this day at which at least one resource can take the visit, or why
    there are none. With `first_only`, stop at the first: enough to tell a day with times
    from one without. `closures` (closure_spans) name why a closed day offers nothing; the
    plans must already be without them (without_closures)."""
    if day.end <= now:
        return DaySlots([], NoSlots.PAST)
    if day.start >= rules.latest:
        return DaySlots([], NoSlots.BEYOND_HORIZON)
    closed = next(
        (n for span, n in closures if span.start < day.end and day.start < span.end), None
    )
    if not plans:
        return DaySlots([], NoSlots.NO_RESOURCE)
    working = [p for p in plans if any(w.start < day.end and day.start < w.end for w in p.windows)]
    if not working:
        return DaySlots([], Closed(closed) if closed else NoSlots.NOT_WORKING)

    # Starts outside every working window of the day cannot fit; skip them unasked.
    todays = [w for p in working for w in p.windows if w.start < day.end and day.start < w.end]
    opens = min(w.start for w in todays)
    closes = max(w.end for w in todays)
    starts, too_soon, cut_off = [], False, False
    for t in rules.grid.starts(day):
        if t >= rules.latest:
            cut_off = True
            break
        end = t + duration
        if t < opens or end > closes:
            continue
        if not any(place(p, t, end, site, rules.travel_speed_kmh) for p in working):
            continue
        if t < rules.earliest:
            too_soon = True
        else:
            starts.append(t)
            if first_only:
                break
    if starts:
        return DaySlots(starts, None)
    if closed:
        return DaySlots([], Closed(closed))
    if too_soon:
        return DaySlots([], NoSlots.MIN_NOTICE)
    return DaySlots([], NoSlots.BEYOND_HORIZON if cut_off else NoSlots.FULLY_BOOKED)
