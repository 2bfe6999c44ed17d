from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduling.templatetags.scheduling_tags import duration, local_time, slot_choices
from scheduling.timelabels import local_period, local_text

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


def test_a_moment_names_its_zone_as_that_date_calls_it():
    berlin = ZoneInfo("Europe/Berlin")
    assert (
        local_text(datetime(2027, 1, 11, 9, 0, tzinfo=UTC), berlin)
        == "Mon 11 Jan 2027, 10:00 AM CET"
    )
    assert (
        local_text(datetime(2027, 7, 12, 8, 0, tzinfo=UTC), berlin)
        == "Mon 12 Jul 2027, 10:00 AM CEST"
    )
    # 28 March 2027: 02:00 CET becomes 03:00 CEST.
    assert (
        local_text(datetime(2027, 3, 28, 1, 30, tzinfo=UTC), berlin)
        == "Sun 28 Mar 2027, 3:30 AM CEST"
    )
    assert (
        local_text(datetime(2027, 3, 28, 0, 30, tzinfo=UTC), "UTC")
        == "Sun 28 Mar 2027, 12:30 AM UTC"
    )


def test_a_zone_without_an_abbreviation_is_called_by_its_name():
    moment = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
    assert local_text(moment, "America/Sao_Paulo", "H:i") == "06:00 America/Sao_Paulo"
    assert local_text(moment, "Asia/Kolkata", "H:i") == "14:30 IST"


def test_a_period_names_the_zone_once_unless_the_clocks_changed():
    start = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
    assert local_period(start, start + timedelta(hours=1), "Europe/Berlin") == (
        "Mon 11 Jan 2027, 10:00 AM – 11:00 AM CET"
    )
    overnight = local_period(start, start + timedelta(hours=15), "Europe/Berlin")
    assert overnight == "Mon 11 Jan 2027, 10:00 AM – Tue 12 Jan 2027, 1:00 AM CET"
    # 31 October 2027: 03:00 CEST becomes 02:00 CET.
    change = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert local_period(change, change + timedelta(hours=1), "Europe/Berlin") == (
        "Sun 31 Oct 2027, 2:30 AM CEST – 2:30 AM CET"
    )


def test_slot_choices_post_utc_instants_and_read_as_local_clock_times():
    noon = datetime(2030, 11, 3, 20, 0, tzinfo=UTC)  # noon in Seattle, after the change
    first = datetime(2030, 11, 3, 8, 30, tzinfo=UTC)  # 1:30 AM PDT, before it
    assert slot_choices([first, noon], "America/Los_Angeles") == [
        ("2030-11-03T08:30:00+00:00", "1:30 AM PDT"),
        ("2030-11-03T20:00:00+00:00", "12:00 PM"),
    ]
