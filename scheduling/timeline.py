"""A day on a time axis, for the dispatchers' day board: where a period falls on it and
where its hour marks go. Pure functions over plain data: no ORM, no clock.

The axis runs in real time, so a 23- or 25-hour day is drawn as long as it lasts: on the
day the clocks go forward the mark after 01:00 is 03:00, on the day they go back 02:00
comes twice. Positions are whole steps of 1/SCALE of the axis, because the page may carry
no inline style (the Content-Security-Policy): each step is a class of the board's
stylesheet, written by `stylesheet()` (see `python -m scheduling.timeline`).
"""

import sys
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from scheduling.availability import Interval
from scheduling.timelabels import zone_label

SCALE = 400  # 1/400 of a 9-hour axis is 81 seconds; of a 25-hour one, under 4 minutes
HOUR = timedelta(hours=1)
# The axis of a day nobody works and nothing is booked: a plain working day.
QUIET_DAY = (time(8), time(17))


class Axis(NamedTuple):
    """From `start` to `end` (local whole hours, as UTC instants), read on `zone`'s clock."""

    start: datetime
    end: datetime
    zone: ZoneInfo


class Mark(NamedTuple):
    """An hour mark: its place on the axis and its label ("09:00")."""

    at: int
    label: str


def axis_for(day: Interval, zone: ZoneInfo, spans: Iterable[Interval]) -> Axis:
    """The part of `day` that holds every span (clipped to the day), widened to whole local
    hours; QUIET_DAY on the zone's clock when no span falls in the day."""
    inside = [(max(s.start, day.start), min(s.end, day.end)) for s in spans]
    inside = [(start, end) for start, end in inside if start < end]
    if not inside:
        date = day.start.astimezone(zone).date()
        opens, closes = (datetime.combine(date, t, tzinfo=zone) for t in QUIET_DAY)
        return Axis(opens.astimezone(UTC), closes.astimezone(UTC), zone)
    first = _hour_at_or_before(min(start for start, _ in inside), zone)
    last = _hour_at_or_before(max(end for _, end in inside), zone)
    if last < max(end for _, end in inside):
        last += HOUR
    return Axis(max(first, day.start), min(last, day.end), zone)


def _hour_at_or_before(moment: datetime, zone: ZoneInfo) -> datetime:
    # On the zone's clock: a zone half an hour off UTC has its hours at half past in UTC.
    local = moment.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def position(axis: Axis, start: datetime, end: datetime) -> tuple[int, int] | None:
    """[start, end) on the axis, in steps of 1/SCALE from its start, clipped to it; None when
    it lies outside. A period too short to see gets one step."""
    if end <= axis.start or axis.end <= start:
        return None
    first, last = _step(axis, start), _step(axis, end)
    if last <= first:
        first, last = (first, first + 1) if first < SCALE else (SCALE - 1, SCALE)
    return first, last


def _step(axis: Axis, moment: datetime) -> int:
    moment = min(max(moment, axis.start), axis.end)
    return round((moment - axis.start) / (axis.end - axis.start) * SCALE)


def marks(axis: Axis, *, two_labels: bool = False) -> list[Mark]:
    """A mark at each whole hour of the local clock on the axis, its ends included; past 12
    hours every other one goes without a label, so that labels keep apart. With
    `two_labels` (the day the clocks change) each label names its zone's abbreviation."""
    hours = int((axis.end - axis.start) / HOUR)
    every = 1 if hours <= 12 else 2
    return [
        Mark(_step(axis, moment), "" if n % every else clock(moment, axis.zone, named=two_labels))
        for n, moment in enumerate(axis.start + HOUR * n for n in range(hours + 1))
    ]


def clock(moment: datetime, zone: ZoneInfo, *, named: bool = False) -> str:
    """ "09:00", or "02:30 CEST" where the clock alone would be ambiguous."""
    local = moment.astimezone(zone)
    text = f"{local:%H:%M}"
    return f"{text} {zone_label(local)}" if named else text


def period(start: datetime, end: datetime, zone: ZoneInfo, *, named: bool = False) -> str:
    """ "09:00–10:30"."""
    return f"{clock(start, zone, named=named)}–{clock(end, zone, named=named)}"


def labels_of(day: Interval, zone: ZoneInfo) -> list[str]:
    """The zone's labels in use on the day: ["PDT"], or ["CET", "CEST"] when the clocks
    change (in the order they are in use)."""
    first = zone_label(day.start.astimezone(zone))
    last = zone_label((day.end - timedelta(microseconds=1)).astimezone(zone))
    return [first] if first == last else [first, last]


def stylesheet() -> str:
    """The board's position classes: `from-N` puts a block's left edge N/SCALE along the
    axis, `until-N` its right edge; `hours-N` spaces a row's hour lines for an N-hour axis."""
    lines = [
        "/* Written by `python -m scheduling.timeline`: the day board's positions, in steps of",
        f"   1/{SCALE} of the axis (scheduling/timeline.py). Do not edit by hand. */",
    ]
    for n in range(SCALE + 1):
        lines.append(f".from-{n}{{left:{_percent(n)}}}.until-{n}{{right:{_percent(SCALE - n)}}}")
    # A line at each hour behind a row (the axis starts on a whole hour).
    for hours in range(1, 26):
        lines.append(f".hours-{hours}{{background-size:calc(100% / {hours}) 100%}}")
    return "\n".join(lines) + "\n"


def _percent(steps: int) -> str:
    return f"{steps * 100 / SCALE:g}%"


if __name__ == "__main__":
    sys.stdout.write(stylesheet())
