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


# What each mail says, and how its calendar file asks the calendar to change.
KINDS = {
    "booked": ("Your service visit is booked", "REQUEST"),
    "rescheduled": ("Your service visit has a new time", "REQUEST"),
    "canceled": ("Your service visit is canceled", "CANCEL"),
}
# The appointment's fields a mail tells, as they were when it was asked for: the worker
# builds it later, when the appointment may have changed again (that change has a mail of
# its own).
AS_OF = ("start", "end", "status", "sequence", "cancel_reason", "comments")


class AppointmentMail(EmailMultiAlternatives):
    """A mail about an appointment whose text and calendar file are built when it is
    delivered, not in the request that caused it: the outbox stores `render_later` (a
    builder's dotted path and its arguments) and the worker calls the builder. A backend
    that sends at once builds it on the spot."""

    def __init__(self, *, kind: str, appointment: Appointment, base_url: str, **extra):
        subject, _ = KINDS[kind]
        super().__init__(subject=subject, to=[appointment.customer.email])
        as_of = {name: getattr(appointment, name) for name in AS_OF}
        self.render_later = (
            f"{__name__}.build",
            {
                "kind": kind,
                "appointment_id": appointment.pk,
                "as_of": {
                    k: v.isoformat() if isinstance(v, datetime) else v for k, v in as_of.items()
                },
                "base_url": base_url,
                "extra": {k: v.isoformat() for k, v in extra.items()},
            },
        )

    def message(self):
        return build(**self.render_later[1]).message()


def build(
    *, kind: str, appointment_id: int, as_of: dict, base_url: str, extra: dict
) -> EmailMultiAlternatives:
    """The mail of `kind` about the appointment as it was (`as_of`), ready to send."""
    appointment = Appointment.objects.select_related(
        "customer", "service_account", "service_type", "product"
    ).get(pk=appointment_id)
    for name, value in as_of.items():
        field = Appointment._meta.get_field(name)
        setattr(appointment, name, field.to_python(value))
    customer = appointment.customer
    subject, method = KINDS[kind]
    context = {
        "appointment": appointment,
        "customer": customer,
        "zone": zone_for(customer=customer, account=appointment.service_account).key,
        "link": base_url + reverse("scheduling:appointment", args=[appointment.pk]),
        "book_link": base_url + reverse("scheduling:book"),
        "portal_name": settings.PORTAL_NAME,
        **{k: datetime.fromisoformat(v) for k, v in extra.items()},
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"scheduling/email/{kind}.txt", context),
        to=[customer.email],
    )
    message.attach(
        "appointment.ics", ics(appointment, method=method), f"text/calendar; method={method}"
    )
    return message


def _send(appointment: Appointment, kind: str, base_url: str | None, **extra) -> None:
    customer = appointment.customer
    if customer is None or not customer.email:
        return
    AppointmentMail(
        kind=kind, appointment=appointment, base_url=base_url or settings.PORTAL_BASE_URL, **extra
    ).send()


def booked(appointment: Appointment, *, base_url: str | None = None) -> None:
    _send(appointment, "booked", base_url)


def rescheduled(
    appointment: Appointment, *, old_start: datetime, base_url: str | None = None
) -> None:
    _send(appointment, "rescheduled", base_url, old_start=old_start)


def canceled(appointment: Appointment, *, base_url: str | None = None) -> None:
    _send(appointment, "canceled", base_url)
