"""Times as people read them: on a zone's clock, naming the zone. Which zone applies is
decided elsewhere (models.zone_for); this only writes the time down."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.dateformat import format as date_format

DAY_AND_TIME = "D j M Y, g:i A"  # Mon 7 Dec 2026, 10:00 AM
TIME = "g:i A"
DISPATCH = "D Y-m-d H:i"  # Mon 2027-01-11 10:00: admin and records, sortable by eye


def zone_label(local: datetime) -> str:
    """The abbreviation in use at that moment (PST or PDT, CET or CEST), or the zone's
    name where it has none: the time zone database writes those as bare offsets ("+03"),
    which read like arithmetic, not like a place."""
    abbreviation = local.tzname() or ""
    if abbreviation[:1] in ("", "+", "-"):
        return getattr(local.tzinfo, "key", None) or abbreviation or "UTC"
    return abbreviation


def local_text(moment: datetime, zone: ZoneInfo | str, fmt: str = DAY_AND_TIME) -> str:
    """`moment` on the clock of `zone`, ending with the zone's label:
    "Mon 7 Dec 2026, 10:00 AM PST"."""
    local = moment.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)
    return f"{date_format(local, fmt)} {zone_label(local)}"


def local_period(
    start: datetime, end: datetime, zone: ZoneInfo | str, fmt: str = DAY_AND_TIME
) -> str:
    """A visit from start to end, the zone named once: "Mon 7 Dec 2026, 10:00 AM – 11:00 AM
    PST". The end gets its own day when it falls on another, and its own label when the
    clocks changed in between."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    first, last = start.astimezone(zone), end.astimezone(zone)
    end_fmt = TIME if first.date() == last.date() else fmt
    if zone_label(first) != zone_label(last):
        return f"{local_text(first, zone, fmt)} – {local_text(last, zone, end_fmt)}"
    return f"{date_format(first, fmt)} – {local_text(last, zone, end_fmt)}"
