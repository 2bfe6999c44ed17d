from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from scheduling import timelabels
from scheduling.availability import NoSlots

register = template.Library()


@register.filter
def duration(value: timedelta) -> str:
    """1:30:00 as "1 h 30 min"."""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes else [])
    return " ".join(parts) or "0 min"


@register.filter
def local_time(moment: datetime, zone: str) -> str:
    """9:30 AM in the customer's zone; with the zone's abbreviation when that wall-clock
    time happens twice (the hour repeated when clocks go back)."""
    return _clock(moment.astimezone(ZoneInfo(zone)))


@register.filter
def slot_choices(starts: list[datetime], zone: str) -> list[tuple[str, str]]:
    """Each start as the form posts it and as the customer reads it: the slot grid's
    loop, in one call rather than two lookups and a filter per start."""
    tz = ZoneInfo(zone)
    return [(start.isoformat(), _clock(start.astimezone(tz))) for start in starts]


def _clock(local: datetime) -> str:
    hour = local.hour % 12 or 12
    label = f"{hour}:{local.minute:02d} {_('AM') if local.hour < 12 else _('PM')}"
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        label += f" {local.tzname()}"
    return label


@register.simple_tag
def zoned(moment: datetime | None, zone, fmt: str = timelabels.DAY_AND_TIME) -> str:
    """{% zoned event.at zone "j M Y, g:i A" %}: the time on the zone's clock, naming it."""
    return "" if moment is None else timelabels.local_text(moment, zone, fmt)


@register.simple_tag
def zoned_period(start: datetime, end: datetime, zone, fmt: str = timelabels.DAY_AND_TIME) -> str:
    """{% zoned_period appointment.start appointment.end zone %}: "Mon 7 Dec 2026,
    10:00 AM – 11:00 AM PST"."""
    return timelabels.local_period(start, end, zone, fmt)


@register.filter
def day_reasons(days) -> dict:
    """What to say about days without times: one sentence when the whole range shares a
    reason that has nothing to do with the calendar, else a legend of the short labels."""
    reasons = {info.reason for _, info in days if not info.starts}
    if len(reasons) == 1 and not any(info.starts for _, info in days):
        reason = next(iter(reasons))
        if reason in (NoSlots.NO_RESOURCE, NoSlots.NO_LOCATION):
            return {"everywhere": reason.value}
    legend = [f"{r.short}: {LEGEND[r]}" for r in NoSlots if r in reasons and r in LEGEND]
    return {"legend": "; ".join(legend) + "." if legend else ""}


LEGEND = {
    NoSlots.BEYOND_HORIZON: "beyond how far ahead you can book",
    NoSlots.FULLY_BOOKED: "fully booked",
    NoSlots.NOT_WORKING: "no technician for this visit works that day",
    NoSlots.MIN_NOTICE: "too soon, visits need more notice",
}


@register.simple_tag
def live_map_url(appointment) -> str:
    """Where "View live map" leads: the page of the app that shows it (LIVE_MAP_URL_NAME, set
    by the project), else the appointment's own page."""
    if settings.LIVE_MAP_URL_NAME:
        return reverse(settings.LIVE_MAP_URL_NAME, args=[appointment.pk])
    return reverse("scheduling:appointment", args=[appointment.pk])


@register.simple_tag
def feedback_url(appointment) -> str:
    """Where "Send feedback" leads: the page FEEDBACK_URL_NAME names (set by the project),
    or "" when no app asks for feedback."""
    name = getattr(settings, "FEEDBACK_URL_NAME", "")
    return reverse(name, args=[appointment.pk]) if name else ""
