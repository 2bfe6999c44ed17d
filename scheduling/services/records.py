"""The appointment rows every service writes: locked before a change, and a history event
for each change."""

from common.inserts import insert
from scheduling.models import Appointment, AppointmentEvent


def locked(appointment: Appointment) -> Appointment:
    """The appointment read afresh under a row lock, for the rest of the transaction."""
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("service_account", "service_type", "product", "customer")
        .get(pk=appointment.pk)
    )


def record_event(appointment: Appointment, *, by, kind: str, **fields) -> AppointmentEvent:
    return insert(AppointmentEvent(appointment=appointment, by=by, kind=kind, **fields))
