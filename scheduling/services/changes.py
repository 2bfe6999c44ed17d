"""The customer's changes to a Scheduled appointment: a new time, or canceling it."""

from datetime import datetime

from django.db import DatabaseError, transaction
from django.utils import timezone

from scheduling import notifications
from scheduling.models import Appointment, AppointmentEvent, SchedulingSettings
from scheduling.services import transitions
from scheduling.services.errors import SchedulingError, SlotTaken, lost_race
from scheduling.services.records import locked, record_event
from scheduling.services.rules import check_changeable, check_start
from scheduling.services.slots import lock_best_resource


def reschedule(
    *,
    appointment: Appointment,
    start: datetime,
    by,
    now: datetime | None = None,
    base_url: str | None = None,
) -> Appointment:
    """Move a Scheduled appointment to a new start; the assignment runs again, so the
    resource may change. The mail's links point at `base_url` (the setting's by default)."""
    try:
        return _reschedule(
            appointment=appointment,
            start=start,
            by=by,
            now=now or timezone.now(),
            base_url=base_url,
        )
    except DatabaseError as exc:
        if lost_race(exc):
            raise SlotTaken() from exc
        raise


@transaction.atomic
def _reschedule(*, appointment, start, by, now, base_url):
    appointment = locked(appointment)
    check_changeable(appointment, now=now)
    if start == appointment.start:
        last = appointment.events.filter(kind=AppointmentEvent.Kind.RESCHEDULED).last()
        if last is not None and last.to_start == start:
            return appointment  # the same change sent twice: it is done
        raise SchedulingError("That is the time the appointment already has.")
    account, service_type = appointment.service_account, appointment.service_type
    settings = SchedulingSettings.current()
    check_start(account, start, settings, now)
    choice = lock_best_resource(
        account, service_type, start, settings, exclude_appointment=appointment.pk
    )
    old_start, old_resource = appointment.start, appointment.resource_id
    appointment.start, appointment.end = start, start + service_type.duration
    appointment.resource_id = choice.resource_id
    appointment.travel_distance_km = round(choice.distance_km, 3)
    appointment.sequence += 1
    appointment.save(
        update_fields=["start", "end", "resource", "travel_distance_km", "sequence", "updated_at"]
    )
    record_event(
        appointment,
        by=by,
        kind=AppointmentEvent.Kind.RESCHEDULED,
        from_start=old_start,
        to_start=start,
        from_resource_id=old_resource,
        to_resource_id=choice.resource_id,
    )
    notifications.rescheduled(appointment, old_start=old_start, base_url=base_url)
    return appointment


@transaction.atomic
def cancel(
    *,
    appointment: Appointment,
    reason: str,
    by,
    now: datetime | None = None,
    base_url: str | None = None,
) -> Appointment:
    """The customer cancels a Scheduled appointment, saying why."""
    appointment = locked(appointment)
    check_changeable(appointment, now=now)
    if not reason.strip():
        raise SchedulingError("Please tell us why you are canceling.")
    return transitions.apply(
        appointment, to=Appointment.Status.CANCELED, by=by, note=reason.strip(), base_url=base_url
    )
