"""The tests' clock. Every test that runs in this process sees one pinned instant (the
`clock` fixture in tests/conftest.py), so a test cannot straddle midnight or a DST change in
the site's zone, and the days it picks are the days the code under test sees.

The pin reaches the test's own threads, the live server thread and everything they call
(`timezone.now()`, `auto_now`, `default=timezone.now`). It reaches neither the Celery worker,
another process, nor PostgreSQL: a `now()`/`Now()` in SQL or a database default reads the
server's clock. The portal uses none today; tests marked `worker` run on the real clock."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

LA = ZoneInfo("America/Los_Angeles")

# An ordinary Tuesday morning at the test sites (all in Seattle), far from any DST change.
# `pytest --clock-at=...` pins another instant, e.g. 23:59 on a Friday or the night the
# clocks change, to show the suite does not care.
DEFAULT_NOW = datetime(2030, 6, 4, 9, 0, tzinfo=LA)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with its UTC offset, e.g. 2030-03-09T23:59-08:00."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; write e.g. 2030-03-09T23:59-08:00")
    return moment


def next_weekday_at(
    hhmm: str, *, weekday: int = 0, weeks: int = 1, now: datetime | None = None
) -> datetime:
    """A Seattle wall-clock time on the `weeks`th coming `weekday` (0 = Monday) after `now`
    (the pinned clock's), at least three days ahead: past the minimum notice and the change
    cut-off, and inside the 30-day booking horizon for weeks up to 4."""
    today = (now or timezone.now()).astimezone(LA).date()
    days = (weekday - today.weekday()) % 7 + 7 * (weeks - 1) or 7
    if days < 3:
        days += 7
    hour, minute = map(int, hhmm.split(":"))
    # Wall-clock arithmetic: 10:00 stays 10:00 across a DST change.
    return datetime(today.year, today.month, today.day, hour, minute, tzinfo=LA) + timedelta(
        days=days
    )


@dataclass(frozen=True)
class Clock:
    """The pinned instant, and days picked from it."""

    now: datetime

    def next_weekday_at(self, hhmm: str, *, weekday: int = 0, weeks: int = 1) -> datetime:
        return next_weekday_at(hhmm, weekday=weekday, weeks=weeks, now=self.now)
