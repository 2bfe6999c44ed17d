"""One reminder SURVEY_REMINDER_DAYS after the survey mail when no response came; none when
answered, unsubscribed or switched off since, and never a second."""

from datetime import timedelta

import pytest
import time_machine

from surveys import services
from surveys.models import Invitation
from tests.surveys.conftest import survey_mails

pytestmark = pytest.mark.django_db


def later(days: float):
    return time_machine.travel(timedelta(days=days), tick=False)


def test_one_reminder_after_three_days(completed):
    with later(2.9):
        assert services.remind_due() == 0
    with later(3):
        assert services.remind_due() == 1
        assert services.remind_due() == 0
    with later(5):
        assert services.remind_due() == 0
    assert survey_mails("remind").count() == 1
    assert Invitation.objects.get(appointment=completed).reminded_at is not None


def test_the_reminder_delay_is_a_setting(completed, settings):
    settings.SURVEY_REMINDER_DAYS = 1
    with later(1):
        assert services.remind_due() == 1


def test_no_reminder_once_answered(completed, survey):
    services.submit(
        appointment=completed,
        survey=survey,
        questions=survey.questions.all(),
        answers={},
        customer=completed.customer,
    )
    with later(4):
        assert services.remind_due() == 0
    assert not survey_mails("remind").exists()


def test_no_reminder_when_surveys_are_switched_off_meanwhile(completed, survey):
    survey.service_types.clear()
    with later(4):
        services.remind_due()
    assert not survey_mails("remind").exists()


def test_no_reminder_after_unsubscribing(completed, alice):
    services.unsubscribe(alice.pk)
    with later(4):
        services.remind_due()
    assert not survey_mails("remind").exists()


def test_the_beat_runs_the_reminders_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["survey-reminders"]
    assert entry["task"] == "surveys.tasks.send_reminders"
