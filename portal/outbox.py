"""The outbox: Django's mail API writes a row in the caller's transaction, a Celery task
delivers it after commit through the real backend (`MAIL_DELIVERY_BACKEND`), and the row
records sent or failed with the last error, so admin can tell why a mail never came."""

import base64
import logging
from datetime import datetime, timedelta
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.models import OutboxMessage

log = logging.getLogger(__name__)

# A queued message untouched this long is stuck (no task will deliver it), whatever the
# retry schedule; admin may start it over.
STUCK_AFTER = timedelta(hours=1)


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        count = 0
        for message in email_messages:
            recipients = message.recipients()
            if not recipients:
                continue
            row = OutboxMessage.objects.create(
                subject=str(message.subject)[:998],
                to=", ".join(recipients),
                from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
                payload=serialize(message),
            )
            transaction.on_commit(lambda pk=row.pk: enqueue(pk))
            count += 1
        return count


def enqueue(message_id: int) -> None:
    from portal.tasks import deliver

    try:
        deliver.delay(message_id)
    except Exception:
        # The row is committed; the periodic sweep enqueues it again once the broker is back.
        log.exception("Could not enqueue outbox message %s", message_id)


def serialize(message: EmailMessage) -> dict:
    return {
        "subject": str(message.subject),
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": {str(k): str(v) for k, v in message.extra_headers.items()},
        "content_subtype": message.content_subtype,
        "alternatives": [[str(c), m] for c, m in getattr(message, "alternatives", [])],
        "attachments": [_attachment(a) for a in message.attachments],
    }


def _attachment(attachment) -> dict:
    if isinstance(attachment, MIMEBase):
        filename = attachment.get_filename() or "attachment"
        content, mimetype = attachment.get_payload(decode=True), attachment.get_content_type()
    else:
        filename, content, mimetype = attachment
    if isinstance(content, str):
        content = content.encode()
    return {
        "filename": filename,
        "content_b64": base64.b64encode(content).decode("ascii"),
        "mimetype": mimetype or "application/octet-stream",
    }


def as_email(row: OutboxMessage) -> EmailMultiAlternatives:
    p = row.payload
    message = EmailMultiAlternatives(
        subject=p["subject"],
        body=p["body"],
        from_email=p["from_email"],
        to=p["to"],
        cc=p["cc"],
        bcc=p["bcc"],
        reply_to=p["reply_to"],
        headers=p["headers"],
    )
    message.content_subtype = p.get("content_subtype", "plain")
    for content, mimetype in p["alternatives"]:
        message.attach_alternative(content, mimetype)
    for a in p["attachments"]:
        message.attach(a["filename"], base64.b64decode(a["content_b64"]), a["mimetype"])
    return message


def deliver(message_id: int, *, last_try: bool) -> str | None:
    """Send one queued message. Returns None when sent or nothing is left to do, else the
    error of this attempt (the message stays queued for a retry unless this was the last)."""
    with transaction.atomic():
        # skip_locked: a second worker holding the same id (a redelivery) leaves it alone.
        row = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=OutboxMessage.Status.QUEUED)
            .first()
        )
        if row is None:
            return None
        row.attempts += 1
        row.last_attempt_at = timezone.now()
        try:
            with get_connection(settings.MAIL_DELIVERY_BACKEND, fail_silently=False) as conn:
                conn.send_messages([as_email(row)])
        except Exception as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if last_try:
                row.status = OutboxMessage.Status.FAILED
            row.save(update_fields=["attempts", "last_attempt_at", "last_error", "status"])
            log.warning("Mail %s failed (attempt %s): %s", row.pk, row.attempts, row.last_error)
            return None if last_try else row.last_error
        row.status = OutboxMessage.Status.SENT
        row.sent_at = timezone.now()
        row.save(update_fields=["attempts", "last_attempt_at", "status", "sent_at"])
        return None


def retry_delay(retries: int) -> float:
    """Seconds to wait after failed attempt number `retries` + 1: doubling each time."""
    return settings.MAIL_RETRY_DELAY * 2**retries


def retry_window() -> timedelta:
    """How long all of a message's retries can take after its first attempt."""
    return timedelta(seconds=sum(retry_delay(n) for n in range(settings.MAIL_MAX_RETRIES)))


def requeue_stale(*, older_than_seconds: int = 600, now: datetime | None = None) -> int:
    """Enqueue queued messages no task will deliver: never tried, because their enqueue
    failed (the broker was down), or tried but left without a retry for longer than the whole
    retry schedule, because the task could not publish its retry. Delivery skips anything
    sent meanwhile, so a retry that was only late does no harm."""
    now = now or timezone.now()
    grace = timedelta(seconds=older_than_seconds)
    retries_over = now - retry_window() - grace
    never_tried = Q(attempts=0, created_at__lt=now - grace)
    # Rows tried before last_attempt_at existed go by their creation.
    retries_lost = Q(attempts__gt=0) & (
        Q(last_attempt_at__lt=retries_over)
        | Q(last_attempt_at__isnull=True, created_at__lt=retries_over)
    )
    ids = list(
        OutboxMessage.objects.filter(
            never_tried | retries_lost, status=OutboxMessage.Status.QUEUED
        ).values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        enqueue(pk)
    return len(ids)


def deliver_again(messages: QuerySet[OutboxMessage], *, now: datetime | None = None) -> int:
    """Start the failed and the stuck among `messages` over, with a fresh retry schedule.
    Returns how many. Stuck: queued, and last tried (never tried: written) over STUCK_AFTER
    ago. Sent messages, and queued ones still in their schedule, are left alone."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.filter(pk__in=messages.values("pk"))
            .alias(last_touched=Coalesce("last_attempt_at", "created_at"))
            .filter(
                Q(status=OutboxMessage.Status.FAILED)
                | Q(status=OutboxMessage.Status.QUEUED, last_touched__lt=now - STUCK_AFTER)
            )
            # A message a worker is delivering right now is not stuck.
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        OutboxMessage.objects.filter(pk__in=ids).update(
            status=OutboxMessage.Status.QUEUED, attempts=0
        )
        for pk in ids:
            transaction.on_commit(lambda pk=pk: enqueue(pk))
    return len(ids)
