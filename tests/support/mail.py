"""The mail an outbox row will send, built as the worker builds it (appointment mails are
written at delivery, not when the row is)."""

from django.core.mail import EmailMessage
from icalendar import Calendar

from portal import outbox
from portal.models import OutboxMessage


def built(row: OutboxMessage) -> EmailMessage:
    return outbox.as_email(row)


def body(row: OutboxMessage) -> str:
    return built(row).body


def calendar(row: OutboxMessage) -> Calendar:
    [(filename, content, mimetype)] = built(row).attachments
    assert (filename, mimetype.split(";")[0]) == ("appointment.ics", "text/calendar")
    return Calendar.from_ical(content)
