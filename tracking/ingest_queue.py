"""Where the view queues a location batch: the `ingest` queue on INGEST_BROKER_URL when that
is set (RabbitMQ in docker-compose.yml), else on the app's own broker (CELERY_BROKER_URL).

On a broker of its own the batches are published through a pool of producers kept per
process (common.producers), with publisher confirms (CELERY_BROKER_TRANSPORT_OPTIONS): a
publish returns once the broker holds the message, so the 202 that follows means queued. The
publish declares the queue too, once per connection (kombu remembers what a connection
declared): RabbitMQ drops a message that no queue is bound to yet. The queue is durable, so it
outlives both the process and the broker's restarts."""

from contextlib import AbstractContextManager, nullcontext

from amqp.exceptions import AMQPError, MessageNacked
from django.conf import settings
from kombu import Queue
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from common import producers
from tracking.tasks import store_pings

QUEUE = "ingest"
# What a publish raises when the broker cannot take the batch (after Celery's own retries).
UNAVAILABLE = (KombuError, RedisError, AMQPError, MessageNacked, OSError)


def producer() -> AbstractContextManager:
    """A producer to pass to `apply_async`, or None there (the app's own, from its pool)."""
    url = settings.INGEST_BROKER_URL
    if not url or store_pings.app.conf.task_always_eager:
        return nullcontext(None)
    return producers.pooled(store_pings.app, url)


def declare(producer) -> list[Queue]:
    """What a publish declares: nothing on the app's own broker (the ingest worker declares
    its queue, and on Redis a message needs no declaration to be queued; declaring on every
    publish cost a sixth of it); on a broker of its own, the queue, until the producer's
    connection has declared it (kombu's own record, emptied when it connects again: the check
    kombu makes inside the publish, without binding a copy of the queue every time)."""
    if producer is None:
        return []
    queue = store_pings.app.amqp.queues[QUEUE]
    return [] if hash(queue) in producer.connection.declared_entities else [queue]
