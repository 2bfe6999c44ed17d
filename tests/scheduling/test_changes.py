"""Reschedule, cancel and the state rules, each with its history row and mail."""

from datetime import timedelta

import pytest

from portal.models import OutboxMessage
from scheduling import services
from scheduling.models import Appointment, AppointmentEvent
from tests.factories import ResourceFactory
from tests.support.clock import next_weekday_at
from tests.support.mail import body, calendar

pytestmark = pytest.mark.django_db
Status = Appointment.Status


def _ics(mail):
    return calendar(mail)


def test_rescheduling_moves_it_and_may_change_the_resource(appointment, account, alice):
    other = ResourceFactory(territories=[account.territory], home_latitude=account.latitude,
                            home_longitude=account.longitude)  # fmt: skip
    new_start = next_weekday_at("13:00", weekday=2)

    moved = services.reschedule(appointment=appointment, start=new_start, by=alice)

    assert (moved.start, moved.end) == (new_start, new_start + timedelta(hours=1))
    assert moved.resource == other  # now the nearest: it lives at the site
    assert moved.sequence == 1
    event = moved.events.get(kind=AppointmentEvent.Kind.RESCHEDULED)
    assert (event.from_start, event.to_start, event.to_resource) == (
        appointment.start,
        new_start,
        other,
    )
    mail = OutboxMessage.objects.get(subject="Your service visit has a new time")
    [vevent] = _ics(mail).walk("VEVENT")
    assert (vevent["SEQUENCE"], vevent.decoded("DTSTART")) == (1, new_start)


def test_rescheduling_keeps_its_own_time_free_for_itself(appointment, alice):
    # One resource only: moving by half an hour overlaps the appointment's current time.
    later = appointment.start + timedelta(minutes=30)
    moved = services.reschedule(appointment=appointment, start=later, by=alice)
    assert moved.start == later


def test_the_same_reschedule_sent_twice_is_done_once(appointment, alice):
    new_start = next_weekday_at("13:00", weekday=2)
    services.reschedule(appointment=appointment, start=new_start, by=alice)
    again = services.reschedule(appointment=appointment, start=new_start, by=alice)
    assert again.start == new_start
    assert appointment.events.filter(kind=AppointmentEvent.Kind.RESCHEDULED).count() == 1


def test_canceling_needs_a_reason_and_sends_a_cancel(appointment, alice):
    with pytest.raises(services.SchedulingError, match="tell us why"):
        services.cancel(appointment=appointment, reason="  ", by=alice)

    services.cancel(appointment=appointment, reason="Fixed it myself", by=alice)

    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == ("canceled", "Fixed it myself")
    event = appointment.events.get(kind=AppointmentEvent.Kind.CANCELED)
    assert (event.from_status, event.to_status, event.note) == (
        "scheduled",
        "canceled",
        "Fixed it myself",
    )
    mail = OutboxMessage.objects.get(subject="Your service visit is canceled")
    assert "http://127.0.0.1:8000/book/" in body(mail)
    cal = _ics(mail)
    assert cal["METHOD"] == "CANCEL"
    assert cal.walk("VEVENT")[0]["STATUS"] == "CANCELLED"


@pytest.mark.parametrize("status", [Status.TRAVELING, Status.IN_PROGRESS, Status.COMPLETED])
def test_only_scheduled_appointments_can_be_changed_by_the_customer(appointment, alice, status):
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    with pytest.raises(services.NotChangeable, match="can no longer be changed"):
        services.cancel(appointment=appointment, reason="x", by=alice)
    with pytest.raises(services.NotChangeable):
        services.reschedule(
            appointment=appointment, start=next_weekday_at("13:00", weekday=2), by=alice
        )


def test_changes_close_before_the_start(appointment, alice):
    just_before = appointment.start - timedelta(minutes=119)
    with pytest.raises(services.NotChangeable, match="until 2 hours before"):
        services.cancel(appointment=appointment, reason="x", by=alice, now=just_before)


ALLOWED = [
    (Status.SCHEDULED, Status.TRAVELING),
    (Status.TRAVELING, Status.IN_PROGRESS),
    (Status.IN_PROGRESS, Status.COMPLETED),
    (Status.SCHEDULED, Status.CANCELED),
    (Status.TRAVELING, Status.SCHEDULED),
]


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_the_state_rules(appointment, current, target, dispatcher):
    Appointment.objects.filter(pk=appointment.pk).update(status=current)
    if (current, target) in ALLOWED:
        services.transition(appointment=appointment, to=target, by=dispatcher, note="why")
        appointment.refresh_from_db()
        assert appointment.status == target
        event = appointment.events.latest("id")
        assert (event.from_status, event.to_status, event.by) == (current, target, dispatcher)
    elif current == target:
        # A retried request (the technician's app resends until it sees the answer).
        events = appointment.events.count()
        services.transition(appointment=appointment, to=target, by=dispatcher, note="why")
        appointment.refresh_from_db()
        assert (appointment.status, appointment.events.count()) == (current, events)
    else:
        with pytest.raises(services.SchedulingError, match="cannot become"):
            services.transition(appointment=appointment, to=target, by=dispatcher, note="why")
        appointment.refresh_from_db()
        assert appointment.status == current
