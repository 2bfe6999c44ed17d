"""Mail delivered by a real Celery worker on Redis, through SMTP to a local stand-in."""

import re

import pytest
from django.urls import reverse

from portal import services
from portal.models import OutboxMessage
from tests.conftest import wait_for
from tests.support.smtp import REFUSED_DOMAIN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _status(row_id):
    return OutboxMessage.objects.get(pk=row_id).status


def test_a_password_reset_mail_is_delivered_by_the_worker(
    celery_worker, smtp_server, client, alice
):
    # The worker is the session's: mail that earlier tests sent to Alice may be in the inbox.
    smtp_server.received.clear()
    client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    row = OutboxMessage.objects.get(to="alice@example.com")

    assert wait_for(lambda: _status(row.pk) == "sent"), f"still {_status(row.pk)}"

    row.refresh_from_db()
    assert row.attempts == 1 and row.sent_at is not None
    [message] = smtp_server.messages_to("alice@example.com")
    assert message["Subject"] == row.subject
    assert re.search(r"/accounts/password/reset/key/\S+", message.get_content())


def test_a_refused_mail_is_recorded_failed_after_its_retries(celery_worker, account, dispatcher):
    invitation = services.invite(
        contact_name="Nobody",
        email=f"nobody@{REFUSED_DOMAIN}",
        service_account=account,
        created_by=dispatcher,
    )
    row = OutboxMessage.objects.get(to=invitation.email)

    assert wait_for(lambda: _status(row.pk) == "failed"), f"still {_status(row.pk)}"

    row.refresh_from_db()
    assert row.attempts == 3  # the first try and MAIL_MAX_RETRIES=2 retries
    assert "SMTPRecipientsRefused" in row.last_error
    assert "No such mailbox here" in row.last_error
    assert row.sent_at is None
