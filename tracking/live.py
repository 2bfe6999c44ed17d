"""The Redis that holds live tracking state (latest positions, per-device request counts):
the cache's Redis (REDIS_URL), spoken to directly for what Django's cache API cannot do in
one round trip (a script, a pipeline). None under `make run`, which has no Redis."""

import functools

import redis
from django.conf import settings


def client() -> redis.Redis | None:
    return _client(settings.REDIS_URL) if settings.REDIS_URL else None


@functools.cache
def _client(url: str) -> redis.Redis:
    # One connection pool per process and URL, as the cache keeps its own.
    return redis.Redis.from_url(url)
