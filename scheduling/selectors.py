"""Read-side queries for the customer's pages."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from scheduling import services
from scheduling.models import Appointment, Product, SchedulingSettings, ServiceAccount, ServiceType

Status = Appointment.Status
PAST_SHOWN = 50
SIMILAR_WITHIN = timedelta(days=7)


@dataclass
class HomeAppointments:
    active: Appointment | None = None  # the earliest Traveling one
    upcoming: list[Appointment] = field(default_factory=list)
    past: list[Appointment] = field(default_factory=list)  # the most recent PAST_SHOWN
    past_total: int = 0


def home_appointments(account: ServiceAccount) -> HomeAppointments:
    """The account's appointments as the home page groups them, in a few queries whatever
    their number. Each open one carries `refusal`: why it cannot be modified or canceled
    now, or None."""
    appointments = Appointment.objects.filter(service_account=account).select_related(
        "service_type", "product", "resource__user"
    )
    settings, now = SchedulingSettings.current(), timezone.now()
    home = HomeAppointments()
    for appointment in appointments.filter(status__in=Appointment.ACTIVE).order_by("start", "id"):
        appointment.refusal = services.change_refusal(appointment, now=now, settings=settings)
        if appointment.status == Status.TRAVELING and home.active is None:
            home.active = appointment
        else:
            home.upcoming.append(appointment)
    past = appointments.exclude(status__in=Appointment.ACTIVE)
    home.past = list(past.order_by("-start", "-id")[:PAST_SHOWN])
    home.past_total = len(home.past) if len(home.past) < PAST_SHOWN else past.count()
    return home


def similar_upcoming(
    account: ServiceAccount,
    *,
    product: Product,
    service_type: ServiceType,
    start: datetime,
    token: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Appointment | None:
    """An open visit of the account like the one about to be booked (same product and service
    type, within SIMILAR_WITHIN of `start`): likely a second booking by mistake, so the page
    asks first. The visit this form's `token` already booked does not count: sending the same
    form again is idempotent, not a duplicate."""
    similar = Appointment.objects.filter(
        service_account=account,
        product=product,
        service_type=service_type,
        status__in=Appointment.ACTIVE,
        end__gt=now or timezone.now(),
        start__gt=start - SIMILAR_WITHIN,
        start__lt=start + SIMILAR_WITHIN,
    )
    if token:
        similar = similar.exclude(booking_token=token)
    return similar.order_by("start", "id").first()
