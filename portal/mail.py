"""Django's mail backend for the whole project: each message becomes an outbox row in the
caller's transaction, and a worker is nudged to deliver it once that transaction commits
(portal.tasks.nudge), so a rolled-back change sends nothing and a committed one is never
forgotten."""

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from common.inserts import insert
from portal import outbox, tasks
from portal.models import OutboxMessage, is_closed_address


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        ids = []
        for message in email_messages:
            # A closed account's address stands for nobody: no mail is written to it.
            recipients = [r for r in message.recipients() if not is_closed_address(r)]
            if not recipients:
                continue
            row = insert(
                OutboxMessage(
                    subject=str(message.subject)[:998],
                    to=", ".join(recipients),
                    from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
                    payload=outbox.serialize(message),
                )
            )
            ids.append(row.pk)
        if ids:
            tasks.nudge_on_commit()
        return len(ids)
