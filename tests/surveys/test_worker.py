"""On the real path: the transition's signal writes the survey mail, the Celery worker
delivers it over SMTP, once; the beat's reminder task, run by the worker, reminds once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling import services as scheduling
from scheduling.models import Appointment
from surveys.models import Invitation
from surveys.tasks import send_reminders
from tests.conftest import wait_for
from tests.surveys.conftest import finished, survey_mails

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def delivered(rows) -> bool:
    return rows.exists() and not rows.exclude(status="sent").exists()


def test_the_survey_and_its_reminder_are_delivered_once(
    celery_worker, smtp_server, account, alice, technician, repair, survey, dispatcher
):
    smtp_server.received.clear()
    visit = finished(account, technician, repair, customer=alice)
    scheduling.transition(appointment=visit, to=Appointment.Status.COMPLETED, by=dispatcher)
    assert wait_for(lambda: delivered(survey_mails("ask")))

    # Three days on (the worker keeps the real clock: move the row back instead).
    Invitation.objects.filter(appointment=visit).update(
        sent_at=timezone.now() - timedelta(days=3, minutes=1)
    )
    send_reminders.delay()
    send_reminders.delay()
    assert wait_for(lambda: delivered(survey_mails("remind")))
    send_reminders.delay()
    # One worker takes the queue in order: once a later visit's survey is delivered, the
    # reminder task before it has run.
    later = finished(account, technician, repair, customer=alice)
    scheduling.transition(appointment=later, to=Appointment.Status.COMPLETED, by=dispatcher)
    assert wait_for(lambda: delivered(survey_mails("ask")) and survey_mails("ask").count() == 2)

    assert wait_for(lambda: len(smtp_server.messages_to("alice@example.com")) == 3)
    inbox = smtp_server.messages_to("alice@example.com")
    subjects = sorted(message["Subject"] for message in inbox)
    assert subjects == [
        "A minute for your feedback?",
        "How did your service visit go?",
        "How did your service visit go?",
    ]
    for message in inbox:
        assert str(message["List-Unsubscribe"]).strip().startswith("<http")
        assert "rating=4" in message.get_content()
    assert survey_mails("remind").count() == 1
