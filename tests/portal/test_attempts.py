"""The failed-code counter always ends with its window, even when the window ends in the
middle of the cache's two-step increment or decrement (Redis: EXISTS, then INCR or DECR)."""

from django.core.cache import cache
from django.test import RequestFactory

from common.attempts import take_attempt

ACTION = "redeem_failed"
RATES = "5/15m/ip"


def _key() -> str:
    [key] = take_attempt(RequestFactory().post("/redeem/"), action=ACTION, rates=RATES).keys
    return key


def _seconds_left(key: str) -> int:
    # -1: the key never expires; -2: there is no key.
    return cache._cache.get_client(write=False).ttl(cache.make_and_validate_key(key))


def test_a_window_whose_key_lost_its_expiry_gets_it_back_at_the_first_attempt():
    key = _key()
    cache.set(key, 0, timeout=None)  # what a window ending between EXISTS and INCR leaves

    take_attempt(RequestFactory().post("/redeem/"), action=ACTION, rates=RATES)

    assert cache.get(key) == 1
    assert 0 < _seconds_left(key) <= 15 * 60


def test_giving_back_the_last_attempt_leaves_no_key_that_never_expires():
    attempt = take_attempt(RequestFactory().post("/redeem/"), action=ACTION, rates=RATES)
    [key] = attempt.keys
    cache.set(key, 0, timeout=None)  # no expiry: as a DECR after the window ended leaves it

    attempt.give_back()

    assert _seconds_left(key) == -2
    assert cache.get(key) is None
