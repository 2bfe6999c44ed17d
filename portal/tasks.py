"""Celery tasks: ids in, a call to the outbox or a service, safe to run twice."""

import logging
from collections.abc import Iterable
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

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


def enqueue(message_id: int) -> None:
    try:
        deliver.delay(message_id)
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
