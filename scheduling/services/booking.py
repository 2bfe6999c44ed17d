"""Booking a visit: the rules, the best free resource under its lock, the appointment, its
first history event and the confirmation mail, in one transaction."""

import uuid
from datetime import datetime

from django.db import DatabaseError, transaction
from django.utils import timezone

from common.inserts import insert
from scheduling import notifications
from scheduling.catalogue import catalogue
from scheduling.models import (
    Appointment,
    AppointmentEvent,
    Product,
    SchedulingSettings,
    ServiceAccount,
    ServiceType,
)
from scheduling.services.errors import SchedulingError, SlotTaken, lost_race, sqlstate
from scheduling.services.records import record_event
from scheduling.services.rules import check_start
from scheduling.services.slots import lock_best_resource

Status = Appointment.Status
UNIQUE_VIOLATION = "23505"


def book(
    *,
    account: ServiceAccount,
    customer,
    product: Product,
    service_type: ServiceType,
    start: datetime,
    comments: str = "",
    token: uuid.UUID | None = None,
    now: datetime | None = None,
    base_url: str | None = None,
    by=None,
) -> Appointment:
    """Book the visit with the best free resource. With a token, submitting the same form
    again returns the appointment it already made. `base_url` is where the confirmation's
    links point (the setting's address by default). `by` is who booked, for the history:
    the customer unless a dispatcher booked on their behalf."""
    try:
        return _book(
            account=account,
            customer=customer,
            product=product,
            service_type=service_type,
            start=start,
            comments=comments,
            token=token,
            now=now or timezone.now(),
            base_url=base_url,
            by=by or customer,
        )
    except SchedulingError:
        # The same form sent again finds its slot taken (by itself): answer with the
        # appointment it made. Only then is the token looked up.
        existing = _booked_with(token, customer, product, service_type, start) if token else None
        if existing is None:
            raise
        return existing
    except DatabaseError as exc:
        taken = lost_race(exc)
        if not taken and sqlstate(exc) != UNIQUE_VIOLATION:
            raise  # a dropped connection or a bug: a server error, not a taken time
        # A lost race, or this form's token already used (the same form sent twice).
        existing = _booked_with(token, customer, product, service_type, start) if token else None
        if existing is not None:
            return existing
        if not taken:
            raise  # another unique value: a bug, not the customer's doing
        raise SlotTaken() from exc


def _booked_with(token, customer, product, service_type, start) -> Appointment | None:
    """The appointment this very form already made, if it did."""
    existing = Appointment.objects.filter(booking_token=token).first()
    if existing is None:
        return None
    same = (
        existing.customer_id == getattr(customer, "pk", None)
        and existing.status == Status.SCHEDULED
        and (existing.product_id, existing.service_type_id, existing.start)
        == (product.pk, service_type.pk, start)
    )
    if not same:
        # The form was used for another booking (the back button, then other choices), or
        # it is someone else's: it books nothing more and shows nothing of theirs.
        raise SchedulingError("This booking form was already used. Please choose again.")
    return existing


@transaction.atomic
def _book(*, account, customer, product, service_type, start, comments, token, now, base_url, by):
    if not product.active:
        raise SchedulingError(f"{product.name} is no longer serviced. Please contact us.")
    if not service_type.bookable_on_portal:
        raise SchedulingError("This service type cannot be booked online. Please contact us.")
    if service_type not in catalogue().service_types_for(product.pk):
        raise SchedulingError(f"{service_type.name} is not offered for {product.name}.")
    settings = SchedulingSettings.current()
    check_start(account, start, settings, now)
    choice = lock_best_resource(account, service_type, start, settings)
    appointment = insert(
        Appointment(
            service_account=account,
            customer=customer,
            product=product,
            service_type=service_type,
            resource_id=choice.resource_id,
            start=start,
            end=start + service_type.duration,
            comments=comments,
            travel_distance_km=round(choice.distance_km, 3),
            booking_token=token,
        )
    )
    record_event(
        appointment,
        by=by,
        kind=AppointmentEvent.Kind.BOOKED,
        to_status=Status.SCHEDULED,
        to_start=start,
        to_resource_id=choice.resource_id,
    )
    notifications.booked(appointment, base_url=base_url)
    return appointment
