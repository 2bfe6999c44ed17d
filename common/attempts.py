"""Limits on failed attempts (wrong invitation or pairing codes) that hold under a burst.

Checking the count, looking the code up, then counting a failure lets every request of a
burst pass the check before the first failure is counted. Here an attempt is used up
atomically before the lookup (a Redis increment), and given back only when it succeeded."""

import math
import time
from contextlib import suppress
from dataclasses import dataclass

# The same rate syntax and client address as allauth's limits, so RATE_LIMIT_REDEEM_FAILED
# reads like RATE_LIMIT_REDEEM and IPv6 clients count per prefix.
from allauth.core.internal.ratelimit import Rate, get_ip, parse_rates
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Attempt:
    """One attempt taken from each of an action's limits."""

    keys: tuple[str, ...]

    def give_back(self) -> None:
        for key in self.keys:
            with suppress(ValueError):  # its window ended meanwhile, and the count with it
                if cache.decr(key) <= 0:
                    # Nothing left to count; and a window that ended between the cache's
                    # EXISTS and DECR left a new key at -1 without an expiry: remove it.
                    cache.delete(key)


def take_attempt(request: HttpRequest, *, action: str, rates: str) -> Attempt | None:
    """Use up one of the client's attempts at `action` under `rates` (allauth's syntax,
    e.g. "5/15m/ip"), or None, taking nothing, when any of its limits is used up."""
    taken: list[str] = []
    for rate, key in _keys(request, action, rates):
        taken.append(key)
        if _count(key, rate) > rate.amount:
            Attempt(tuple(taken)).give_back()
            return None
    return Attempt(tuple(taken))


def retry_after(request: HttpRequest, *, action: str, rates: str) -> int:
    """Seconds until the client may try `action` again: when the last of its used-up
    windows ends (at least 1)."""
    wait = 1
    for rate, key in _keys(request, action, rates):
        if (cache.get(key) or 0) >= rate.amount:
            ends = cache.get(f"{key}:ends")
            left = ends - time.time() if ends is not None else rate.duration
            wait = max(wait, math.ceil(left))
    return wait


def _keys(request: HttpRequest, action: str, rates: str) -> list[tuple[Rate, str]]:
    client = get_ip(request)
    return [(rate, f"attempts:{action}:{rate}:{client}") for rate in parse_rates(rates)]


def _count(key: str, rate: Rate) -> int:
    """This attempt's number in the rate's window. The window starts with the first attempt
    and lasts the rate's duration; concurrent attempts each get their own number."""
    timeout = math.ceil(rate.duration)
    while True:
        cache.add(key, 0, timeout=timeout)  # a no-op while a window runs
        try:
            count = cache.incr(key)
        except ValueError:  # the window ended between add and incr: start the next one
            continue
        if count == 1:
            # The first attempt of a window: should the window have ended between the
            # cache's EXISTS and INCR, the key is new and never expires; give it the window.
            cache.touch(key, timeout)
            # When it ends, for Retry-After (the cache's API cannot tell a key's expiry).
            cache.set(f"{key}:ends", time.time() + timeout, timeout=timeout)
        return count
