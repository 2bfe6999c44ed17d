"""Django's cache and Celery's publishing each keep one Redis client per connection pool
(common/redis_clients.py) rather than building one per command, and still work through it."""

from unittest import mock

import redis
from django.core.cache import cache

from portal.celery import app


def _clients_built(action, times: int = 5) -> int:
    action()  # the first call may build the kept client
    with mock.patch.object(
        redis.Redis, "__init__", autospec=True, side_effect=redis.Redis.__init__
    ) as built:
        for _ in range(times):
            action()
    return built.call_count


def test_cache_calls_build_no_new_redis_client():
    assert _clients_built(lambda: cache.set("redis-clients", 1)) == 0
    assert cache.get("redis-clients") == 1


def test_publishing_builds_no_new_redis_client_and_the_message_is_queued():
    queue = "redis-clients-test"
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        channel.queue_declare(queue)
        channel.queue_purge(queue)

        def publish():
            with app.producer_or_acquire() as producer:
                producer.publish({"n": 1}, routing_key=queue, declare=[])

        assert _clients_built(publish) == 0
        assert channel.client.llen(queue) == 6
        channel.queue_purge(queue)
