"""What the booking page posts, and data that makes a technician's day busy, for the tests
of bookings and of their query counts."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scheduling.models import Appointment
from tests.factories import ResourceFactory
from tests.support.clock import LA


def booking_form(visit_type, start: datetime, /, *, zone: ZoneInfo = LA, **extra) -> dict:
    """The booking form as sent for `start`, for the service type's product; a fresh token;
    `extra` replaces any field."""
    return {
        "product": visit_type.products.first().pk,
        "service_type": visit_type.pk,
        "day": start.astimezone(zone).date().isoformat(),
        "start": start.isoformat(),
        "comments": "",
        "token": str(uuid.uuid4()),
    } | extra


def add_busy_technicians(account, customer, service_type, start: datetime, *, count: int = 10):
    """`count` more technicians serving the account, each with an hour's visit at `start`."""
    for _ in range(count):
        Appointment.objects.create(
            service_account=account, customer=customer, product=service_type.products.first(),
            service_type=service_type, resource=ResourceFactory(territories=[account.territory]),
            start=start, end=start + timedelta(hours=1),
        )  # fmt: skip
