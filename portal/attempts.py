"""Limits on failed attempts (wrong invitation codes) that hold under a burst.

Checking the count, looking the code up, then counting a failure lets every request of a
burst pass the check before the first failure is counted. Here an attempt is used up
atomically before the lookup (a Redis increment), and given back only when it succeeded."""

import math
from contextlib import suppress
from dataclasses import dataclass

# The same rate syntax and client address as allauth's limits on the same pages, so
# RATE_LIMIT_REDEEM_FAILED reads like RATE_LIMIT_REDEEM and IPv6 clients count per prefix.
from allauth.core.internal.ratelimit import Rate, get_ip, parse_rates
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Attempt:
    """One attempt taken from each of an action's limits."""

    keys: tuple[str, ...]

    def give_back(self) -> None:
        for key in self.keys:
            with suppress(ValueError):  # its window ended meanwhile, and the count with it
                cache.decr(key)


def take_attempt(request: HttpRequest, *, action: str) -> Attempt | None:
    """Use up one of the client's attempts at `action` (a key of ACCOUNT_RATE_LIMITS), or
    None, taking nothing, when any of its limits is used up."""
    client = get_ip(request)
    taken: list[str] = []
    for rate in parse_rates(settings.ACCOUNT_RATE_LIMITS[action]):
        key = f"portal:attempts:{action}:{rate}:{client}"
        taken.append(key)
        if _count(key, rate) > rate.amount:
            Attempt(tuple(taken)).give_back()
            return None
    return Attempt(tuple(taken))


def _count(key: str, rate: Rate) -> int:
    """This attempt's number in the rate's window. The window starts with the first attempt
    and lasts the rate's duration; concurrent attempts each get their own number."""
    while True:
        cache.add(key, 0, timeout=math.ceil(rate.duration))  # a no-op while a window runs
        try:
            return cache.incr(key)
        except ValueError:  # the window ended between add and incr: start the next one
            continue
