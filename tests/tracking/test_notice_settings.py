"""The notices' settings from the environment: defaults, good values taken, a bad one stops
start-up naming the variable (as tests/test_settings.py checks the others)."""

import pytest

from tests.test_settings import loaded_settings
from tests.test_settings import test_a_bad_value_stops_start_up_naming_the_variable as refused


def test_the_defaults():
    loaded = loaded_settings()
    assert loaded["NOTICE_ARRIVING_SOON_MINUTES"] == "10"
    assert loaded["NOTICE_ARRIVAL_WINDOW_MINUTES"] == "15"
    assert loaded["CONTACT_PHONE"] == "''"
    assert loaded["CONTACT_EMAIL"] == "'portal@localhost'"  # DEFAULT_FROM_EMAIL's address


@pytest.mark.parametrize(
    ("name", "value", "loaded"),
    [
        ("NOTICE_ARRIVING_SOON_MINUTES", "5", "5"),
        ("NOTICE_ARRIVAL_WINDOW_MINUTES", "0", "0"),
        ("CONTACT_PHONE", "+1 206 555 0100", "'+1 206 555 0100'"),
        ("CONTACT_EMAIL", "help@example.com", "'help@example.com'"),
    ],
)
def test_good_values_are_taken(name, value, loaded):
    assert loaded_settings(**{name: value})[name] == loaded


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NOTICE_ARRIVING_SOON_MINUTES", "0"),
        ("NOTICE_ARRIVING_SOON_MINUTES", "ten"),
        ("NOTICE_ARRIVAL_WINDOW_MINUTES", "-5"),
        ("CONTACT_EMAIL", "call us"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name, value):
    refused(name, value)
