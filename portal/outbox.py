"""The outbox: Django's mail API writes a row in the caller's transaction (portal.mail), a
Celery task (portal.tasks) delivers it after commit through the real backend
(`MAIL_DELIVERY_BACKEND`), and the row records sent or failed with the last error, so admin can
tell why a mail never came. This module knows the rows, not the queue: it imports no task."""

import base64
import logging
from datetime import datetime, timedelta
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.models import OutboxMessage, is_closed_address

log = logging.getLogger(__name__)

# A queued message untouched this long is stuck (no task will deliver it), whatever the
# retry schedule; admin may start it over.
STUCK_AFTER = timedelta(hours=1)
# A claim older than this died with its worker (no SMTP conversation lasts this long): the
# message may be claimed again. It was perhaps sent already; a second copy is the lesser harm.
CLAIM_LEASE = timedelta(minutes=10)
Status = OutboxMessage.Status


def serialize(message: EmailMessage) -> dict:
    render_later = getattr(message, "render_later", None)
    if render_later is not None:
        # Built by the worker (scheduling.notifications.AppointmentMail): the request only
        # writes what to build it from.
        builder, arguments = render_later
        return {"render": {"with": builder, "arguments": arguments}}
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
    if "render" in p:
        return import_string(p["render"]["with"])(**p["render"]["arguments"])
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
    error of this attempt (the message stays queued for a retry unless this was the last).

    Three short steps, so that no row lock is held while a mail server takes its time and
    no rollback can undo the record of a mail that left: claim the row, send, record."""
    row = _claim(message_id, now=timezone.now())
    if row is None:
        return None
    built = {}
    try:
        message = as_email(row)
        if "render" in row.payload:
            # Keep the text as it left, for admin to show and for any retry to send again.
            built = {"payload": serialize(message)}
        if not _without_closed_accounts(message):
            _record(row, status=Status.FAILED, last_error=CLOSED_ACCOUNT, **built)
            return None
        with get_connection(settings.MAIL_DELIVERY_BACKEND, fail_silently=False) as conn:
            conn.send_messages([message])
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        status = Status.FAILED if last_try else Status.QUEUED
        _record(row, status=status, last_error=error, **built)
        log.warning("Mail %s failed (attempt %s): %s", row.pk, row.attempts, error)
        return None if last_try else error
    _record(row, status=Status.SENT, sent_at=timezone.now(), **built)
    return None


CLOSED_ACCOUNT = "Not sent: the recipient closed their account."


def _without_closed_accounts(message: EmailMessage) -> bool:
    """Drop closed accounts' addresses (a mail built at delivery takes the customer's address
    as it is then); whether anyone is left to send to."""
    for name in ("to", "cc", "bcc"):
        setattr(message, name, [a for a in getattr(message, name) if not is_closed_address(a)])
    return bool(message.recipients())


def _claim(message_id: int, *, now: datetime) -> OutboxMessage | None:
    with transaction.atomic():
        # skip_locked: a second worker claiming the same id (a redelivery) leaves it alone.
        row = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=Status.QUEUED)
                | Q(status=Status.SENDING, last_attempt_at__lt=now - CLAIM_LEASE),
                pk=message_id,
            )
            .first()
        )
        if row is None:
            return None
        row.status, row.attempts, row.last_attempt_at = Status.SENDING, row.attempts + 1, now
        row.save(update_fields=["status", "attempts", "last_attempt_at"])
    return row


def _record(row: OutboxMessage, **outcome) -> None:
    # Only over our own claim: a worker that outlived its lease does not overwrite the
    # outcome of the one that claimed the message after it.
    OutboxMessage.objects.filter(pk=row.pk, status=Status.SENDING, attempts=row.attempts).update(
        **outcome
    )


def retry_delay(retries: int) -> float:
    """Seconds to wait after failed attempt number `retries` + 1: doubling each time."""
    return settings.MAIL_RETRY_DELAY * 2**retries


def retry_window() -> timedelta:
    """How long all of a message's retries can take after its first attempt."""
    return timedelta(seconds=sum(retry_delay(n) for n in range(settings.MAIL_MAX_RETRIES)))


def waiting(*, limit: int) -> list[int]:
    """The oldest queued messages never tried: those a nudge asks a worker to deliver."""
    queued = OutboxMessage.objects.filter(status=Status.QUEUED, attempts=0)
    return list(queued.order_by("pk").values_list("pk", flat=True)[:limit])


def stale(*, older_than_seconds: int = 600, now: datetime | None = None) -> list[int]:
    """Messages no task will deliver, to enqueue again: never tried, because their enqueue
    failed (the broker was down); tried but left without a retry for longer than the whole
    retry schedule, because the task could not publish its retry; or claimed by a worker
    that died while sending. Delivery skips anything sent meanwhile, so a retry that was only
    late does no harm."""
    now = now or timezone.now()
    grace = timedelta(seconds=older_than_seconds)
    retries_over = now - retry_window() - grace
    never_tried = Q(attempts=0, created_at__lt=now - grace)
    # Rows tried before last_attempt_at existed go by their creation.
    retries_lost = Q(attempts__gt=0) & (
        Q(last_attempt_at__lt=retries_over)
        | Q(last_attempt_at__isnull=True, created_at__lt=retries_over)
    )
    claim_lost = Q(status=Status.SENDING, last_attempt_at__lt=now - CLAIM_LEASE)
    return list(
        OutboxMessage.objects.filter(
            ((never_tried | retries_lost) & Q(status=Status.QUEUED)) | claim_lost
        ).values_list("pk", flat=True)[:500]
    )


def start_over(messages: QuerySet[OutboxMessage], *, now: datetime | None = None) -> list[int]:
    """Put the failed and the stuck among `messages` back in the queue with a fresh retry
    schedule, in the caller's transaction; returns their ids, to enqueue after commit.
    Stuck: queued, and last tried (never tried: written) over STUCK_AFTER ago, or claimed by
    a worker that died. Sent messages, and queued ones still in their schedule, are left
    alone."""
    now = now or timezone.now()
    ids = list(
        OutboxMessage.objects.filter(pk__in=messages.values("pk"))
        .alias(last_touched=Coalesce("last_attempt_at", "created_at"))
        .filter(
            Q(status=Status.FAILED)
            | Q(status=Status.QUEUED, last_touched__lt=now - STUCK_AFTER)
            # A message a worker is delivering right now is not stuck.
            | Q(status=Status.SENDING, last_attempt_at__lt=now - CLAIM_LEASE)
        )
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    OutboxMessage.objects.filter(pk__in=ids).update(status=Status.QUEUED, attempts=0)
    return ids
