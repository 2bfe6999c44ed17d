"""Operations on the scheduling domain. Each state change is one transaction, records an
AppointmentEvent, sends its mail through Django's mail API (the outbox delivers it after
commit), and raises a SchedulingError whose message is shown to the person who asked."""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from scheduling import assignment, geocoding, notifications, planning
from scheduling.availability import (
    DaySlots,
    Interval,
    NoSlots,
    Placement,
    ResourcePlan,
    Rules,
    day_slots,
    local_day,
    place,
)
from scheduling.models import (
    Appointment,
    AppointmentEvent,
    Product,
    Resource,
    SchedulingSettings,
    ServiceAccount,
    ServiceType,
    zone_for,
)

Status = Appointment.Status

# Who may move an appointment from one status to another (technician app, dispatchers).
TRANSITIONS: dict[str, set[str]] = {
    Status.SCHEDULED: {Status.TRAVELING, Status.CANCELED},
    Status.TRAVELING: {Status.IN_PROGRESS, Status.SCHEDULED},
    Status.IN_PROGRESS: {Status.COMPLETED},
    Status.COMPLETED: set(),
    Status.CANCELED: set(),
}


class SchedulingError(Exception):
    """A booking rule said no; the message is for the customer."""


class SlotTaken(SchedulingError):
    def __init__(self, message: str = "That time was just taken. Please pick another time."):
        super().__init__(message)


class NotChangeable(SchedulingError):
    pass


def fill_location(*, account: ServiceAccount) -> bool:
    """Look up missing coordinates from the address and a missing time zone from the
    coordinates. Never raises for a failed lookup: the account keeps no coordinates and
    `location_error` says why, which admin shows as "needs location". The caller saves."""
    if account.needs_location:
        try:
            found = geocoding.locate(account.address)
        except geocoding.LocationNotFound as exc:
            account.location_error = str(exc)[:300]
            return False
        account.latitude, account.longitude = found.latitude, found.longitude
        if not account.time_zone and found.time_zone:
            account.time_zone = found.time_zone
    elif not account.time_zone:
        account.time_zone = geocoding.time_zone_at(account.latitude, account.longitude) or ""
    account.location_error = ""
    return True


# --- Availability ---------------------------------------------------------------------------


def rules_for(settings: SchedulingSettings, now: datetime) -> Rules:
    return Rules(
        step=timedelta(minutes=settings.slot_step_minutes),
        travel_speed_kmh=settings.travel_speed_kmh,
        earliest=now + timedelta(minutes=settings.min_notice_minutes),
        latest=now + timedelta(days=settings.horizon_days),
    )


def account_zone(account: ServiceAccount) -> ZoneInfo:
    return zone_for(account=account)


@dataclass(frozen=True)
class Calendar:
    """Slots per day for one account and service type, over a range of days."""

    days: dict[date, DaySlots]

    def slots(self, day: date) -> DaySlots:
        return self.days[day]


def availability(
    *,
    account: ServiceAccount,
    service_type: ServiceType,
    days: list[date],
    zone: ZoneInfo | None = None,
    now: datetime | None = None,
    exclude_appointment: int | None = None,
    full_days: Collection[date] | None = None,
) -> Calendar:
    """Free starts for each of `days`, calendar days in `zone` (the customer's; the site's
    by default). With `full_days`, the other days get only their first free start, enough
    for a day picker. A fixed number of queries, whatever the number of days, resources
    and appointments."""
    now = now or timezone.now()
    zone = zone or account_zone(account)
    if account.needs_location:
        no_location = DaySlots([], NoSlots.NO_LOCATION)
        return Calendar({d: no_location for d in days})
    settings = SchedulingSettings.current()
    rules = rules_for(settings, now)
    resources = planning.eligible_resources(account, service_type, settings)
    spans = {d: local_day(d, zone) for d in days}
    plans = []
    if resources and days:
        whole = Interval(min(s.start for s in spans.values()), max(s.end for s in spans.values()))
        plans = planning.load_plans(resources, whole, exclude_appointment=exclude_appointment)
    return Calendar(
        {
            d: day_slots(
                day=span,
                duration=service_type.duration,
                plans=plans,
                site=account.point,
                rules=rules,
                now=now,
                first_only=full_days is not None and d not in full_days,
            )
            for d, span in spans.items()
        },
    )


def bookable_days(*, now: datetime, zone: ZoneInfo, settings: SchedulingSettings) -> list[date]:
    """The customer's calendar days from today to the end of the booking horizon."""
    today = now.astimezone(zone).date()
    last = (now + timedelta(days=settings.horizon_days)).astimezone(zone).date()
    return [today + timedelta(days=i) for i in range((last - today).days + 1)]


# --- Booking ----------------------------------------------------------------------------------


def _check_start(
    account: ServiceAccount,
    start: datetime,
    settings: SchedulingSettings,
    now: datetime,
    zone: ZoneInfo | None = None,
) -> None:
    """The start must be one the customer could have been offered: on the day's grid of
    starts, with enough notice, within the horizon. Whether a resource is free is the
    assignment's question."""
    if account.needs_location:
        raise SchedulingError(NoSlots.NO_LOCATION.value)
    rules = rules_for(settings, now)
    zone = zone or account_zone(account)
    day = local_day(start.astimezone(zone).date(), zone)
    if (start - day.start) % rules.step:
        raise SchedulingError("Please pick one of the offered times.")
    if start < now:
        raise SchedulingError("That time has passed. Please pick another time.")
    if start < rules.earliest:
        raise SchedulingError(NoSlots.MIN_NOTICE.value)
    if start >= rules.latest:
        raise SchedulingError(NoSlots.BEYOND_HORIZON.value)


def free_resources(
    account: ServiceAccount,
    service_type: ServiceType,
    start: datetime,
    settings: SchedulingSettings,
    exclude_appointment: int | None = None,
) -> list[tuple[Placement, ResourcePlan]]:
    """The resources free for the visit at `start`, best first, each with its plan; read
    without locks."""
    end = start + service_type.duration
    resources = planning.eligible_resources(account, service_type, settings)
    plans = planning.load_plans(
        resources, Interval(start, end), exclude_appointment=exclude_appointment
    )
    plan_of = {plan.resource_id: plan for plan in plans}
    ranked = assignment.rank(plans, start, end, account.point, settings.travel_speed_kmh)
    return [(placement, plan_of[placement.resource_id]) for placement in ranked]


def _assign(
    account: ServiceAccount,
    service_type: ServiceType,
    start: datetime,
    settings: SchedulingSettings,
    exclude_appointment: int | None = None,
) -> Placement:
    """Choose the resource and lock it. Candidates are ranked on data read without locks;
    the chosen one is locked and re-checked on fresh data, so two bookings racing for it
    queue on its row and the second sees the first's appointment."""
    end = start + service_type.duration
    speed = settings.travel_speed_kmh
    ranked = free_resources(account, service_type, start, settings, exclude_appointment)
    for candidate, plan in ranked:
        try:
            # One savepoint per candidate: when it turns out taken, rolling back releases
            # its row lock, so a booking never holds one resource while waiting for the
            # next (no lock order to get wrong, no deadlock).
            with transaction.atomic():
                Resource.objects.select_for_update().filter(pk=candidate.resource_id).get()
                # Hours and time off are the dispatcher's and change rarely; appointments
                # are what a racing booking changes, so only they are read again.
                shifts = Interval(plan.windows[0].start, plan.windows[-1].end)
                fresh = planning.load_stops(
                    [plan.resource_id], shifts, exclude_appointment=exclude_appointment
                )
                plan = ResourcePlan(
                    plan.resource_id, plan.home, plan.windows, fresh[plan.resource_id]
                )
                choice = place(plan, start, end, account.point, speed)
                if choice is None:
                    raise _Taken
        except _Taken:
            continue
        return choice
    raise SlotTaken()


class _Taken(Exception):
    """This candidate lost the race; try the next one."""


def _event(appointment: Appointment, *, by, kind: str, **fields) -> AppointmentEvent:
    return AppointmentEvent.objects.create(appointment=appointment, by=by, kind=kind, **fields)


def book(
    *,
    account: ServiceAccount,
    customer,
    product: Product,
    service_type: ServiceType,
    start: datetime,
    comments: str = "",
    token: uuid.UUID | None = None,
    zone: ZoneInfo | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book the visit with the best free resource. With a token, submitting the same form
    again returns the appointment it already made. `zone` is the one the customer picked
    the start in (its grid of starts begins at local midnight)."""
    try:
        return _book(
            account=account,
            customer=customer,
            product=product,
            service_type=service_type,
            start=start,
            comments=comments,
            token=token,
            zone=zone,
            now=now or timezone.now(),
        )
    except (SchedulingError, IntegrityError, OperationalError) as exc:
        # The same form sent again finds its slot taken (by itself) or its token used:
        # answer with the appointment it made. Only then is the token looked up.
        existing = _booked_with(token, customer, product, service_type, start) if token else None
        if existing is not None:
            return existing
        if isinstance(exc, SchedulingError):
            raise
        if isinstance(exc, OperationalError) or _is_overlap(exc):
            # A lock timeout or deadlock between racing bookings, or the exclusion
            # constraint catching what the locks should have prevented.
            raise SlotTaken() from exc
        raise


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


def _is_overlap(exc: IntegrityError) -> bool:
    return "appointment_no_overlap" in str(exc)


@transaction.atomic
def _book(*, account, customer, product, service_type, start, comments, token, zone, now):
    if not product.active:
        raise SchedulingError(f"{product.name} is no longer serviced. Please contact us.")
    if not service_type.bookable_on_portal:
        raise SchedulingError("This service type cannot be booked online. Please contact us.")
    if not service_type.products.filter(pk=product.pk).exists():
        raise SchedulingError(f"{service_type.name} is not offered for {product.name}.")
    settings = SchedulingSettings.current()
    _check_start(account, start, settings, now, zone)
    choice = _assign(account, service_type, start, settings)
    appointment = Appointment.objects.create(
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
    _event(
        appointment,
        by=customer,
        kind=AppointmentEvent.Kind.BOOKED,
        to_status=Status.SCHEDULED,
        to_start=start,
        to_resource_id=choice.resource_id,
    )
    notifications.booked(appointment)
    return appointment


REFUSALS = {
    Status.TRAVELING: "Your technician is on the way: the visit can no longer be changed online.",
    Status.IN_PROGRESS: "The visit is in progress, so it can no longer be changed online.",
    Status.COMPLETED: "This visit is completed, so it can no longer be changed online.",
    Status.CANCELED: "This visit is canceled, so it can no longer be changed online.",
}


def change_refusal(
    appointment: Appointment,
    *,
    now: datetime | None = None,
    settings: SchedulingSettings | None = None,
) -> str | None:
    """Why the customer cannot modify or cancel this appointment now, or None if they can."""
    now = now or timezone.now()
    if appointment.status != Status.SCHEDULED:
        return REFUSALS[appointment.status]
    settings = settings or SchedulingSettings.current()
    cutoff = timedelta(minutes=settings.change_cutoff_minutes)
    if appointment.start - cutoff <= now:
        hours = cutoff.total_seconds() / 3600
        return (
            f"Changes are possible until {hours:g} hours before the visit. "
            "Please call us to change it now."
        )
    return None


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("service_account", "service_type", "product", "customer")
        .get(pk=appointment.pk)
    )


def reschedule(
    *,
    appointment: Appointment,
    start: datetime,
    by,
    zone: ZoneInfo | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move a Scheduled appointment to a new start; the assignment runs again, so the
    resource may change."""
    try:
        return _reschedule(
            appointment=appointment, start=start, by=by, zone=zone, now=now or timezone.now()
        )
    except IntegrityError as exc:
        if _is_overlap(exc):
            raise SlotTaken() from exc
        raise
    except OperationalError as exc:
        raise SlotTaken() from exc


@transaction.atomic
def _reschedule(*, appointment, start, by, zone, now):
    appointment = _locked(appointment)
    refusal = change_refusal(appointment, now=now)
    if refusal:
        raise NotChangeable(refusal)
    if start == appointment.start:
        last = appointment.events.filter(kind=AppointmentEvent.Kind.RESCHEDULED).last()
        if last is not None and last.to_start == start:
            return appointment  # the same change sent twice: it is done
        raise SchedulingError("That is the time the appointment already has.")
    account, service_type = appointment.service_account, appointment.service_type
    settings = SchedulingSettings.current()
    _check_start(account, start, settings, now, zone)
    choice = _assign(account, service_type, start, settings, exclude_appointment=appointment.pk)
    old_start, old_resource = appointment.start, appointment.resource_id
    appointment.start, appointment.end = start, start + service_type.duration
    appointment.resource_id = choice.resource_id
    appointment.travel_distance_km = round(choice.distance_km, 3)
    appointment.sequence += 1
    appointment.save(
        update_fields=["start", "end", "resource", "travel_distance_km", "sequence", "updated_at"]
    )
    _event(
        appointment,
        by=by,
        kind=AppointmentEvent.Kind.RESCHEDULED,
        from_start=old_start,
        to_start=start,
        from_resource_id=old_resource,
        to_resource_id=choice.resource_id,
    )
    notifications.rescheduled(appointment, old_start=old_start)
    return appointment


@transaction.atomic
def cancel(
    *, appointment: Appointment, reason: str, by, now: datetime | None = None
) -> Appointment:
    """The customer cancels a Scheduled appointment, saying why."""
    appointment = _locked(appointment)
    refusal = change_refusal(appointment, now=now)
    if refusal:
        raise NotChangeable(refusal)
    reason = reason.strip()
    if not reason:
        raise SchedulingError("Please tell us why you are canceling.")
    appointment.status = Status.CANCELED
    appointment.cancel_reason = reason
    appointment.sequence += 1
    appointment.save(update_fields=["status", "cancel_reason", "sequence", "updated_at"])
    _event(
        appointment,
        by=by,
        kind=AppointmentEvent.Kind.CANCELED,
        from_status=Status.SCHEDULED,
        to_status=Status.CANCELED,
        note=reason,
    )
    notifications.canceled(appointment)
    return appointment


@transaction.atomic
def transition(*, appointment: Appointment, to: str, by, note: str = "") -> Appointment:
    """Move an appointment along its states (technician app, dispatchers)."""
    if to not in Status.values:
        raise SchedulingError(f"“{to}” is not a status.")
    note = note.strip()
    appointment = _locked(appointment)
    current = appointment.status
    if to not in TRANSITIONS[current]:
        raise SchedulingError(
            f"An appointment that is {Status(current).label} cannot become {Status(to).label}."
        )
    if to == Status.CANCELED and not note:
        raise SchedulingError("A cancellation needs a reason.")
    appointment.status = to
    fields = ["status", "updated_at"]
    if to == Status.CANCELED:
        appointment.cancel_reason = note
        appointment.sequence += 1
        fields += ["cancel_reason", "sequence"]
    appointment.save(update_fields=fields)
    _event(
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
        notifications.canceled(appointment)
    return appointment
