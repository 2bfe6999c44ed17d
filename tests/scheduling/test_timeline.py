"""The day board's time axis (scheduling/timeline.py): pure, no database."""

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from scheduling.availability import Interval, local_day
from scheduling.timeline import SCALE, Axis, axis_for, labels_of, marks, position, stylesheet

ROOT = Path(__file__).resolve().parent.parent.parent
LA = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")


def local(zone, *parts) -> datetime:
    return datetime(*parts, tzinfo=zone)


def test_the_axis_holds_every_span_widened_to_whole_hours():
    day = local_day(date(2030, 6, 4), LA)
    spans = [
        Interval(local(LA, 2030, 6, 4, 8, 30), local(LA, 2030, 6, 4, 12, 0)),
        Interval(local(LA, 2030, 6, 4, 13, 0), local(LA, 2030, 6, 4, 16, 45)),
    ]
    axis = axis_for(day, LA, spans)
    assert axis.start == local(LA, 2030, 6, 4, 8, 0)
    assert axis.end == local(LA, 2030, 6, 4, 17, 0)


def test_a_day_with_nothing_on_it_is_a_plain_working_day():
    axis = axis_for(local_day(date(2030, 6, 8), LA), LA, [])
    assert (axis.start, axis.end) == (local(LA, 2030, 6, 8, 8, 0), local(LA, 2030, 6, 8, 17, 0))


def test_spans_are_clipped_to_the_day():
    day = local_day(date(2030, 6, 4), LA)
    overnight = Interval(local(LA, 2030, 6, 3, 22, 0), local(LA, 2030, 6, 4, 2, 0))
    axis = axis_for(day, LA, [overnight])
    assert (axis.start, axis.end) == (day.start, local(LA, 2030, 6, 4, 2, 0))


def test_hours_are_the_zones_own_where_it_is_half_an_hour_off_utc():
    day = local_day(date(2030, 6, 4), KOLKATA)
    axis = axis_for(
        day,
        KOLKATA,
        [Interval(local(KOLKATA, 2030, 6, 4, 9, 10), local(KOLKATA, 2030, 6, 4, 9, 50))],
    )
    assert [m.label for m in marks(axis)] == ["09:00", "10:00"]
    assert axis.start == datetime(2030, 6, 4, 3, 30, tzinfo=UTC)


def test_positions_are_shares_of_the_axis_clipped_to_it():
    axis = Axis(local(LA, 2030, 6, 4, 8, 0), local(LA, 2030, 6, 4, 16, 0), LA)
    assert position(axis, local(LA, 2030, 6, 4, 10, 0), local(LA, 2030, 6, 4, 12, 0)) == (100, 200)
    assert position(axis, local(LA, 2030, 6, 4, 6, 0), local(LA, 2030, 6, 4, 9, 0)) == (0, 50)
    assert position(axis, local(LA, 2030, 6, 4, 15, 0), local(LA, 2030, 6, 4, 18, 0)) == (
        350,
        SCALE,
    )
    assert position(axis, local(LA, 2030, 6, 4, 16, 0), local(LA, 2030, 6, 4, 17, 0)) is None


def test_a_moment_too_short_to_see_gets_one_step():
    axis = Axis(local(LA, 2030, 6, 4, 8, 0), local(LA, 2030, 6, 4, 16, 0), LA)
    start = local(LA, 2030, 6, 4, 12, 0)
    assert position(axis, start, start.replace(second=10)) == (200, 201)
    end = local(LA, 2030, 6, 4, 16, 0)
    assert position(axis, end.replace(hour=15, minute=59, second=55), end) == (399, 400)


def test_the_missing_hour_of_spring_is_not_marked():
    day = local_day(date(2027, 3, 28), BERLIN)
    axis = axis_for(day, BERLIN, [Interval(day.start, local(BERLIN, 2027, 3, 28, 4, 0))])
    assert [m.label for m in marks(axis, two_labels=True)] == [
        "00:00 CET", "01:00 CET", "03:00 CEST", "04:00 CEST",
    ]  # fmt: skip
    assert [m.at for m in marks(axis)] == [0, 133, 267, 400]  # three real hours


def test_the_repeated_hour_of_autumn_is_marked_twice():
    day = local_day(date(2027, 10, 31), BERLIN)
    assert labels_of(day, BERLIN) == ["CEST", "CET"]
    axis = axis_for(day, BERLIN, [Interval(day.start, local(BERLIN, 2027, 10, 31, 4, 0))])
    assert [m.label for m in marks(axis, two_labels=True)] == [
        "00:00 CEST", "01:00 CEST", "02:00 CEST", "02:00 CET", "03:00 CET", "04:00 CET",
    ]  # fmt: skip


def test_a_long_axis_labels_every_other_hour():
    day = local_day(date(2030, 6, 4), LA)
    axis = axis_for(day, LA, [day])
    labels = [m.label for m in marks(axis)]
    assert len(labels) == 25
    assert labels[:4] == ["00:00", "", "02:00", ""]


def test_the_stylesheet_is_the_one_the_module_writes():
    """Regenerate with `.venv/bin/python -m scheduling.timeline >
    scheduling/static/scheduling/day-board-positions.css`."""
    written = ROOT / "scheduling" / "static" / "scheduling" / "day-board-positions.css"
    assert written.read_text() == stylesheet()
    assert ".from-100{left:25%}.until-100{right:75%}" in stylesheet()
