from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

LA = ZoneInfo("America/Los_Angeles")


def next_weekday_at(hhmm: str, *, weekday: int = 0, weeks: int = 1) -> datetime:
    """A Seattle wall-clock time on a coming weekday (0 = Monday), at least three days
    ahead and inside the default 30-day booking horizon."""
    today = timezone.now().astimezone(LA).date()
    days = (weekday - today.weekday()) % 7 + 7 * (weeks - 1) or 7
    if days < 3:
        days += 7
    hour, minute = map(int, hhmm.split(":"))
    return datetime(today.year, today.month, today.day, hour, minute, tzinfo=LA) + timedelta(
        days=days
    )
