"""Shared by the notices' tests: a visit near now, the technician placed some way from its
site, and the notices written to the outbox."""

import re
from datetime import datetime, timedelta

from django.utils import timezone

from portal.models import OutboxMessage
from scheduling.models import Appointment
from tests.factories import AppointmentFactory
from tracking import positions
from tracking.notice_mail import SUBJECTS

Status = Appointment.Status
KM_PER_DEGREE = 111.2  # of latitude, near enough for placing a technician


def visit(account, technician, service_type, *, customer, start: datetime) -> Appointment:
    """A Scheduled visit at `start` (booking refuses one this close to now)."""
    return AppointmentFactory(
        service_account=account,
        customer=customer,
        service_type=service_type,
        resource=technician,
        start=start,
    )


def place(technician, account, *, km: float, at: datetime | None = None, speed=None):
    """The technician's latest position `km` north of the site, recorded `at` (now)."""
    at = at or timezone.now()
    position = positions.Position(
        latitude=account.latitude + km / KM_PER_DEGREE,
        longitude=account.longitude,
        accuracy=10.0,
        recorded_at=at,
        received_at=at,
        speed=speed,
    )
    positions.advance(technician.pk, position)
    return position


def notices_sent(kind: str | None = None):
    """The notices' rows in the outbox (every one, or those of `kind`)."""
    subjects = [SUBJECTS[kind]] if kind else list(SUBJECTS.values())
    return OutboxMessage.objects.filter(subject__in=subjects).order_by("id")


def link(text: str, path_part: str) -> str:
    [found] = re.findall(rf"https?://\S*{path_part}\S*", text)
    return found


def minutes_from(now: datetime, minutes: int) -> datetime:
    return now + timedelta(minutes=minutes)
