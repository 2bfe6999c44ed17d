"""The outbox: Django's mail API writes a row in the caller's transaction, a Celery task
delivers it after commit through the real backend (`MAIL_DELIVERY_BACKEND`), and the row
records sent or failed with the last error, so admin can tell why a mail never came."""

import base64
import logging
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from portal.models import OutboxMessage

log = logging.getLogger(__name__)


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
        try:
            with get_connection(settings.MAIL_DELIVERY_BACKEND, fail_silently=False) as conn:
                conn.send_messages([as_email(row)])
        except Exception as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if last_try:
                row.status = OutboxMessage.Status.FAILED
            row.save(update_fields=["attempts", "last_error", "status"])
            log.warning("Mail %s failed (attempt %s): %s", row.pk, row.attempts, row.last_error)
            return None if last_try else row.last_error
        row.status = OutboxMessage.Status.SENT
        row.sent_at = timezone.now()
        row.save(update_fields=["attempts", "status", "sent_at"])
        return None


def requeue_stale(*, older_than_seconds: int = 600) -> int:
    """Enqueue messages never tried: their enqueue failed (the broker was down). Messages
    with attempts are in a task's retry schedule already; delivery skips anything sent."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    ids = list(
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.QUEUED, attempts=0, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        enqueue(pk)
    return len(ids)
