from celery import shared_task
from django.conf import settings
from django.utils import timezone

from portal import outbox, services


@shared_task(bind=True, acks_late=True, max_retries=None)
def deliver(self, message_id: int) -> None:
    retries = self.request.retries
    error = outbox.deliver(message_id, last_try=retries >= settings.MAIL_MAX_RETRIES)
    if error is not None:
        # Should publishing the retry fail, the message stays queued and
        # outbox.requeue_stale picks it up once its retry schedule is over.
        raise self.retry(countdown=outbox.retry_delay(retries), max_retries=None)


@shared_task(acks_late=True)
def expire_invitations() -> int:
    return services.expire_invitations(now=timezone.now())


@shared_task(acks_late=True)
def requeue_stale_mail() -> int:
    return outbox.requeue_stale()
