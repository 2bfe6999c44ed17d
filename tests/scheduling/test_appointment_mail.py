"""Appointment mails are written by the worker when it delivers them, telling the
appointment as it was when the mail was asked for."""

import pytest
from django.conf import settings
from django.core import mail

from portal.models import OutboxMessage
from scheduling import services
from scheduling.notifications import AppointmentMail
from tests.conftest import wait_for
from tests.support.clock import next_weekday_at
from tests.support.mail import body, calendar


@pytest.fixture
def book(alice, technician, repair):
    def book(start):
        return services.book(
            account=alice.service_account, customer=alice, product=repair.products.first(),
            service_type=repair, start=start,
        )  # fmt: skip

    return book


@pytest.mark.django_db
def test_the_booking_request_writes_what_to_build_the_mail_from_not_the_mail(book):
    appointment = book(next_weekday_at("10:00"))

    row = OutboxMessage.objects.get()
    assert (row.subject, row.to) == ("Your service visit is booked", "alice@example.com")
    assert set(row.payload) == {"render"}  # no text, no calendar file yet
    assert row.payload["render"]["arguments"]["appointment_id"] == appointment.pk


@pytest.mark.django_db
def test_a_mail_tells_the_appointment_as_it_was_when_asked_for(book, alice):
    appointment = book(next_weekday_at("10:00"))
    services.reschedule(appointment=appointment, start=next_weekday_at("14:00"), by=alice)

    booked, rescheduled = OutboxMessage.objects.order_by("id")

    assert "10:00 AM" in body(booked) and "2:00 PM" not in body(booked)
    assert calendar(booked).walk("VEVENT")[0]["SEQUENCE"] == 0
    assert "2:00 PM" in body(rescheduled)
    assert "Before:  " in body(rescheduled) and "10:00 AM" in body(rescheduled)
    assert calendar(rescheduled).walk("VEVENT")[0]["SEQUENCE"] == 1


@pytest.mark.django_db
def test_a_backend_that_sends_at_once_gets_the_whole_mail(book, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    book(next_weekday_at("10:00"))

    [sent] = mail.outbox
    assert isinstance(sent, AppointmentMail)
    text = sent.message().as_string()
    assert "Your service visit is booked" in text
    assert "BEGIN:VCALENDAR" in text


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_and_delivers_the_confirmation(celery_worker, smtp_server, book):
    smtp_server.received.clear()
    appointment = book(next_weekday_at("10:00"))
    row = OutboxMessage.objects.get()

    assert wait_for(lambda: OutboxMessage.objects.get(pk=row.pk).status == "sent")

    [message] = smtp_server.messages_to("alice@example.com")
    assert message["Subject"] == "Your service visit is booked"
    text = message.get_body(("plain",)).get_content()
    assert "10:00 AM" in text
    assert f"/appointments/{appointment.pk}/" in text
    [ics] = [
        part for part in message.iter_attachments() if part.get_filename() == "appointment.ics"
    ]
    assert b"BEGIN:VEVENT" in ics.get_payload(decode=True)
    row.refresh_from_db()
    assert row.payload["body"] == body(row)  # kept as it left, for admin
    assert settings.PORTAL_BASE_URL in text
