"""Read-side queries for the customer's pages."""

from dataclasses import dataclass, field

from django.utils import timezone

from scheduling import services
from scheduling.models import Appointment, SchedulingSettings, ServiceAccount

Status = Appointment.Status


@dataclass
class HomeAppointments:
    active: Appointment | None = None  # the earliest Traveling one
    upcoming: list[Appointment] = field(default_factory=list)
    past: list[Appointment] = field(default_factory=list)


def home_appointments(account: ServiceAccount) -> HomeAppointments:
    """The account's appointments as the home page groups them, in two queries. Each
    carries `refusal`: why it cannot be modified or canceled now, or None."""
    rows = list(
        Appointment.objects.filter(service_account=account)
        .select_related("service_type", "product", "resource__user")
        .order_by("start", "id")
    )
    settings, now = SchedulingSettings.current(), timezone.now()
    home = HomeAppointments()
    for appointment in rows:
        appointment.refusal = services.change_refusal(appointment, now=now, settings=settings)
        if appointment.status == Status.TRAVELING and home.active is None:
            home.active = appointment
        elif appointment.status in Appointment.ACTIVE:
            home.upcoming.append(appointment)
        else:
            home.past.append(appointment)
    home.past.reverse()
    return home
