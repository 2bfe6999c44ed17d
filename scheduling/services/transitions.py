"""Moving an appointment along its states: the one path for every status change (the
technician's app, dispatchers, the customer canceling), so the rules, the history, the mails
and the signal to the apps above stay together."""

import logging

from django.db import transaction

from scheduling import notifications
from scheduling.models import Appointment, AppointmentEvent
from scheduling.services.errors import SchedulingError
from scheduling.services.records import locked, record_event
from scheduling.signals import appointment_transitioned

log = logging.getLogger(__name__)
Status = Appointment.Status

TRANSITIONS: dict[str, set[str]] = {
    Status.SCHEDULED: {Status.TRAVELING, Status.CANCELED},
    Status.TRAVELING: {Status.IN_PROGRESS, Status.SCHEDULED},
    Status.IN_PROGRESS: {Status.COMPLETED},
    Status.COMPLETED: set(),
    Status.CANCELED: set(),
}


class IllegalTransition(SchedulingError):
    def __init__(self, current: str, to: str):
        self.current, self.to = current, to
        super().__init__(
            f"An appointment that is {Status(current).label} cannot become {Status(to).label}."
        )


@transaction.atomic
def transition(
    *, appointment: Appointment, to: str, by, note: str = "", base_url: str | None = None
) -> Appointment:
    """Move an appointment to status `to`. Asking for the status it already has changes
    nothing (a retried request). A mail it sends links to `base_url` (the setting's by
    default)."""
    if to not in Status.values:
        raise SchedulingError(f"“{to}” is not a status.")
    appointment = locked(appointment)
    if appointment.status == to:
        return appointment
    return apply(appointment, to=to, by=by, note=note, base_url=base_url)


def apply(
    appointment: Appointment, *, to: str, by, note: str = "", base_url: str | None = None
) -> Appointment:
    """The change itself, on an appointment locked in the caller's transaction."""
    current = appointment.status
    if to not in TRANSITIONS[current]:
        raise IllegalTransition(current, to)
    note = note.strip()
    if to == Status.CANCELED and not note:
        raise SchedulingError("A cancellation needs a reason.")
    appointment.status = to
    fields = ["status", "updated_at"]
    if to == Status.CANCELED:
        appointment.cancel_reason = note
        appointment.sequence += 1
        fields += ["cancel_reason", "sequence"]
    appointment.save(update_fields=fields)
    record_event(
        appointment,
        by=by,
        kind=AppointmentEvent.Kind.CANCELED
        if to == Status.CANCELED
        else AppointmentEvent.Kind.STATUS,
        from_status=current,
        to_status=to,
        note=note,
    )
    if to == Status.CANCELED:
        notifications.canceled(appointment, base_url=base_url)
    transaction.on_commit(
        lambda: _announce(appointment, from_status=current, to_status=to, by=by, base_url=base_url)
    )
    return appointment


def _announce(
    appointment: Appointment, *, from_status: str, to_status: str, by, base_url: str | None
) -> None:
    # The change is committed whatever a receiver does; one that fails is logged, not
    # allowed to turn a done change into an error page.
    results = appointment_transitioned.send_robust(
        sender=Appointment,
        appointment=appointment,
        from_status=from_status,
        to_status=to_status,
        by=by,
        base_url=base_url,
    )
    for receiver, result in results:
        if isinstance(result, Exception):
            log.error(
                "%s failed on appointment %s becoming %s",
                receiver,
                appointment.pk,
                to_status,
                exc_info=result,
            )
