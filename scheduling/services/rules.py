"""The booking rules a customer's request must meet: which days and starts may be offered,
and until when an appointment may be changed."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from scheduling.availability import Grid, NoSlots, Rules
from scheduling.models import Appointment, SchedulingSettings, ServiceAccount, zone_for
from scheduling.services.errors import NotChangeable, SchedulingError

Status = Appointment.Status


def rules_for(settings: SchedulingSettings, now: datetime, site_zone: ZoneInfo) -> Rules:
    return Rules(
        grid=Grid(timedelta(minutes=settings.slot_step_minutes), site_zone),
        travel_speed_kmh=settings.travel_speed_kmh,
        earliest=now + timedelta(minutes=settings.min_notice_minutes),
        latest=now + timedelta(days=settings.horizon_days),
    )


def bookable_days(*, now: datetime, zone: ZoneInfo, settings: SchedulingSettings) -> list[date]:
    """The customer's calendar days from today to the end of the booking horizon."""
    today = now.astimezone(zone).date()
    last = (now + timedelta(days=settings.horizon_days)).astimezone(zone).date()
    return [today + timedelta(days=i) for i in range((last - today).days + 1)]


def check_start(
    account: ServiceAccount, start: datetime, settings: SchedulingSettings, now: datetime
) -> None:
    """The start must be one the customer could have been offered: on the site's grid of
    starts (the one the slots come from), with enough notice, within the horizon. Whether
    a resource is free is the assignment's question."""
    if account.needs_location:
        raise SchedulingError(NoSlots.NO_LOCATION.value)
    rules = rules_for(settings, now, zone_for(account=account))
    if not rules.grid.has(start):
        raise SchedulingError("Please pick one of the offered times.")
    if start < now:
        raise SchedulingError("That time has passed. Please pick another time.")
    if start < rules.earliest:
        raise SchedulingError(NoSlots.MIN_NOTICE.value)
    if start >= rules.latest:
        raise SchedulingError(NoSlots.BEYOND_HORIZON.value)


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


def check_changeable(appointment: Appointment, *, now: datetime | None = None) -> None:
    refusal = change_refusal(appointment, now=now)
    if refusal:
        raise NotChangeable(refusal)
