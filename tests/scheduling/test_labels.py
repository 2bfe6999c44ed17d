from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduling.templatetags.scheduling_tags import duration, local_time

UTC = ZoneInfo("UTC")


def test_a_time_shows_on_the_customer_clock():
    assert local_time(datetime(2030, 3, 4, 17, 30, tzinfo=UTC), "America/Los_Angeles") == "9:30 AM"


def test_the_repeated_hour_when_clocks_go_back_says_which_one():
    # 3 November 2030: 01:00-02:00 happens twice in Seattle, first PDT then PST.
    first = datetime(2030, 11, 3, 8, 0, tzinfo=UTC)
    second = first + timedelta(hours=1)
    assert local_time(first, "America/Los_Angeles") == "1:00 AM PDT"
    assert local_time(second, "America/Los_Angeles") == "1:00 AM PST"
    assert local_time(second + timedelta(hours=1), "America/Los_Angeles") == "2:00 AM"


def test_durations_read_as_hours_and_minutes():
    assert [duration(timedelta(minutes=m)) for m in (30, 60, 90)] == ["30 min", "1 h", "1 h 30 min"]
