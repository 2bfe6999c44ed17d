"""One redis.Redis per connection pool, for Django's cache and Celery's broker.

Both build a new `redis.Redis` for every command they send (Django's cache for every cache
call, kombu for every message published), and redis-py's constructor fills a table of some
170 reply callbacks each time: about 50 µs of CPU here, a third of a cache read (bench
figures in README.md, "Speed"). A client holds nothing but its pool and is safe to share
between threads, so one is kept per pool and built again only when the pool is replaced."""

from django.core.cache.backends import redis as django_redis
from kombu.transport import redis as kombu_redis


class CacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """settings.CACHES' BACKEND: Django's Redis cache with CacheClient."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = CacheClient


class Channel(kombu_redis.Channel):
    _kept_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:  # the consumer's own connection, made once per channel already
            return super()._create_client(asynchronous=True)
        kept = self._kept_client
        if kept is None or kept.connection_pool is not self.pool:
            kept = self._kept_client = super()._create_client()
        return kept


class Transport(kombu_redis.Transport):
    """kombu's Redis transport with Channel: the transport of redis:// broker URLs
    (portal.celery)."""

    Channel = Channel
