"""Requests per device (INGEST_RATE_LIMIT, e.g. 120 a minute), counted in fixed windows of
the clock: a device that sends more in one window is told when the next begins.

One Redis round trip per request (INCR and EXPIRE in one pipeline); the count is taken before
anything else is done, so a burst cannot slip past a check made before it was counted.
Without Redis (`make run`) the local cache counts."""

import math
import time

from django.conf import settings
from django.core.cache import cache

from tracking import live

KEY = "tracking:requests:{}:{}"


def take(device_id: int) -> int | None:
    """Count one request of the device: None when within the limit, else the seconds until
    it may send again (for Retry-After)."""
    amount, seconds = settings.INGEST_RATE_LIMIT
    now = time.time()
    window = math.floor(now / seconds)
    key = KEY.format(device_id, window)
    lifetime = math.ceil(seconds) + 1
    client = live.client()
    if client is None:
        cache.add(key, 0, timeout=lifetime)
        try:
            count = cache.incr(key)
        except ValueError:  # the window's key expired between the two calls
            cache.add(key, 1, timeout=lifetime)
            count = 1
    else:
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, lifetime)
        count, _ = pipe.execute()
    if count <= amount:
        return None
    return max(1, math.ceil((window + 1) * seconds - now))
