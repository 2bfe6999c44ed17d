"""Celery tasks: ids in, a call to the outbox or a service, safe to run twice."""

import contextlib
import logging
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from functools import partial

from celery import shared_task
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.utils import timezone

from common import producers
from portal import outbox, services

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver(self, message_id: int) -> None:
    retries = self.request.retries
    error = outbox.deliver(message_id, last_try=retries >= settings.MAIL_MAX_RETRIES)
    if error is not None:
        # Should publishing the retry fail, the message stays queued and
        # the requeue_stale_mail sweep picks it up once its retry schedule is over.
        raise self.retry(countdown=outbox.retry_delay(retries), max_retries=None)


@shared_task(acks_late=True)
def send_waiting() -> int:
    """Deliver the mail that waits in the outbox, never tried yet: what one nudge (or
    several) asked for. A first attempt that fails goes on with deliver's retries."""
    # First, so that a mail committed from now on nudges again: none is left waiting.
    try:
        cache.delete(NUDGE_KEY)
    except Exception:
        log.exception("Could not clear the outbox's nudge")  # it expires
    ids = outbox.waiting(limit=WAITING_BATCH)
    for pk in ids:
        error = outbox.deliver(pk, last_try=settings.MAIL_MAX_RETRIES == 0)
        if error is not None:
            try:
                deliver.apply_async((pk,), retries=1, countdown=outbox.retry_delay(0), declare=[])
            except Exception:
                # Queued with one attempt made: the stale-mail sweep takes it up.
                log.exception("Could not enqueue the retry of outbox message %s", pk)
    if len(ids) == WAITING_BATCH:
        nudge()  # more may wait, now the next ones: this batch's are claimed
    return len(ids)


# At most one send_waiting task on its way: the first mail committed sets this key and
# publishes it, and the mails committed until that task starts only find the key set. A
# Celery publish cost a booking 1.1 ms of its 7 ms of app CPU beyond the baseline's (README.md,
# "Speed"); setting a key costs a tenth of that. The key expires in case it outlives its task.
NUDGE_KEY = "portal:outbox-nudged"
NUDGE_TTL = 60
WAITING_BATCH = 50


def nudge() -> None:
    """Have a worker deliver the waiting mail (send_waiting), unless one is on its way."""
    if _nudges_are_shared():
        try:
            if not cache.add(NUDGE_KEY, 1, timeout=NUDGE_TTL):
                return
        except Exception:
            log.exception("Could not read the outbox's nudge; publishing anyway")
    try:
        # declare=[]: the worker declares the queue it reads; on the Redis transport a
        # message needs none to be queued, and declaring on every publish cost a sixth of it.
        with mail_producer() as producer:
            send_waiting.apply_async(declare=[], producer=producer)
    except Exception:
        # The rows are committed; the next nudge, or the periodic sweep, finds them.
        log.exception("Could not nudge the outbox")
        with contextlib.suppress(Exception):
            cache.delete(NUDGE_KEY)


def _nudges_are_shared() -> bool:
    """Whether the worker that clears the key sees the one this process set: a cache in this
    process only (no REDIS_URL) is, for tasks run here (make run) but not for a worker."""
    local = isinstance(caches["default"], (LocMemCache, DummyCache))
    return settings.CELERY_TASK_ALWAYS_EAGER or not local


def mail_producer() -> AbstractContextManager:
    """The producer that reaches the mail worker, for `apply_async`: None (the app's own)
    wherever the app writes to CELERY_BROKER_URL; in the ingest worker, which writes to the
    ingest broker (portal.ingest_worker), one on CELERY_BROKER_URL."""
    url = settings.CELERY_BROKER_URL
    app = send_waiting.app
    if not url or app.conf.broker_write_url == url:
        return nullcontext(None)
    return producers.pooled(app, url)


def nudge_on_commit() -> None:
    """Nudge once the current transaction commits: once, however many mails it writes."""
    if not any(callback is nudge for _, callback, _ in connection.run_on_commit):
        transaction.on_commit(nudge)


def enqueue(message_id: int) -> None:
    try:
        with mail_producer() as producer:
            deliver.apply_async((message_id,), declare=[], producer=producer)  # see nudge
    except Exception:
        # The row is committed; the periodic sweep enqueues it again once the broker is back.
        log.exception("Could not enqueue outbox message %s", message_id)


def enqueue_on_commit(message_ids: Iterable[int]) -> int:
    """Enqueue each message's delivery once the current transaction commits."""
    count = 0
    for pk in message_ids:
        transaction.on_commit(partial(enqueue, pk))
        count += 1
    return count


@shared_task(acks_late=True)
def expire_invitations() -> int:
    return services.expire_invitations(now=timezone.now())


@shared_task(acks_late=True)
def requeue_stale_mail() -> int:
    ids = outbox.stale()
    for pk in ids:
        enqueue(pk)
    return len(ids)
