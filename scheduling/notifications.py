"""Mail to the customer about their appointment, each with an .ics calendar file whose
UID stays the same and whose SEQUENCE rises, so calendars update the one event.

Links in a mail point at `base_url`: the address the person reached the portal at when a
request caused the mail (see base_url_of), else PORTAL_BASE_URL (a worker, a command)."""

from datetime import date, datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from scheduling.models import Appointment, zone_for


def ics(appointment: Appointment, *, method: str) -> bytes:
    zone = zone_for(customer=appointment.customer, account=appointment.service_account)
    cal = Calendar()
    cal.add("prodid", f"-//{settings.PORTAL_NAME}//Appointments//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", f"appointment-{appointment.pk}@{_host()}")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.start.astimezone(zone))
    event.add("dtend", appointment.end.astimezone(zone))
    event.add("summary", f"{appointment.service_type.name}: {appointment.product.name}")
    event.add("location", appointment.service_account.address)
    event.add("description", appointment.comments or appointment.service_type.description)
    canceled = appointment.status == Appointment.Status.CANCELED
    event.add("status", "CANCELLED" if canceled else "CONFIRMED")
    # REQUEST and CANCEL need an organizer and an attendee (RFC 5546), or calendar
    # programs neither update nor remove the event they added.
    organizer_name, organizer_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = organizer_name or settings.PORTAL_NAME
    event.add("organizer", organizer)
    customer = appointment.customer
    if customer is not None and customer.email:
        attendee = vCalAddress(f"mailto:{customer.email}")
        attendee.params["cn"] = customer.get_full_name() or customer.email
        attendee.params["role"] = "REQ-PARTICIPANT"
        attendee.params["partstat"] = "ACCEPTED"
        event.add("attendee", attendee)
    cal.add_component(event)
    # The time zone's rules around the visit only: the whole 1970-2038 default costs
    # milliseconds per mail and says nothing a calendar needs here.
    year = appointment.start.year
    cal.add_missing_timezones(first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))
    return cal.to_ical()


def base_url_of(request: HttpRequest) -> str:
    """Scheme, host and port as this request reached the portal (its host checked against
    ALLOWED_HOSTS), for links in the mail it causes."""
    return request.build_absolute_uri("/").rstrip("/")


def _host() -> str:
    # The calendar UID must not change with the address a later change came in by, or
    # calendars would add a second event instead of updating the first: the setting's.
    return settings.PORTAL_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]


def _send(
    appointment: Appointment,
    *,
    template: str,
    subject: str,
    method: str,
    base_url: str | None,
    **extra,
) -> None:
    customer = appointment.customer
    if customer is None or not customer.email:
        return
    base_url = base_url or settings.PORTAL_BASE_URL
    context = {
        "appointment": appointment,
        "customer": customer,
        "zone": zone_for(customer=appointment.customer, account=appointment.service_account).key,
        "link": base_url + reverse("scheduling:appointment", args=[appointment.pk]),
        "book_link": base_url + reverse("scheduling:book"),
        "portal_name": settings.PORTAL_NAME,
        **extra,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"scheduling/email/{template}.txt", context),
        to=[customer.email],
    )
    message.attach(
        "appointment.ics", ics(appointment, method=method), f"text/calendar; method={method}"
    )
    message.send()


def booked(appointment: Appointment, *, base_url: str | None = None) -> None:
    _send(
        appointment,
        template="booked",
        subject="Your service visit is booked",
        method="REQUEST",
        base_url=base_url,
    )


def rescheduled(
    appointment: Appointment, *, old_start: datetime, base_url: str | None = None
) -> None:
    _send(
        appointment,
        template="rescheduled",
        subject="Your service visit has a new time",
        method="REQUEST",
        base_url=base_url,
        old_start=old_start,
    )


def canceled(appointment: Appointment, *, base_url: str | None = None) -> None:
    _send(
        appointment,
        template="canceled",
        subject="Your service visit is canceled",
        method="CANCEL",
        base_url=base_url,
    )
