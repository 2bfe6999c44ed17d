"""The on-the-way notices as mail: what each says, its live map link, and the unsubscribe link
with the headers that let mail programs show their own button (RFC 2369 List-Unsubscribe,
RFC 8058 one-click). tracking.notices decides when one goes.

As appointment mails do (scheduling.notifications.AppointmentMail), a notice is written by
the mail worker when it delivers it: the outbox stores `render_later`, the builder's path and
what to build from, so the ingest worker or the request that caused it only writes a row."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from scheduling.models import Appointment, zone_for
from scheduling.timelabels import TIME, local_period, local_text
from tracking.eta import Estimate
from tracking.models import Notice

Kind = Notice.Kind
SUBJECTS = {
    Kind.ON_THE_WAY: "Your technician is on the way",
    Kind.ARRIVING_SOON: "Your technician is arriving soon",
    Kind.RUNNING_LATE: "Your technician is running late",
}
# Its salt sets it apart from every other signature of the project: a token made for
# something else unsubscribes nobody.
_SIGNER = signing.Signer(salt="tracking.notices.unsubscribe")


def unsubscribe_token(customer_id: int) -> str:
    """Who to unsubscribe, signed with the secret key. It does not expire: a link in an old
    mail must still stop the next one."""
    return _SIGNER.sign(str(customer_id))


def customer_of(token: str) -> int | None:
    """The customer's id a token was made for, or None when it was not made here (typed
    wrong, cut short by a mail program, tampered with) or the account is gone."""
    try:
        value = _SIGNER.unsign(token)
    except signing.BadSignature:
        return None
    if not value.isdigit() or not get_user_model().objects.filter(pk=int(value)).exists():
        return None
    return int(value)


def window_end(start: datetime) -> datetime:
    """The end of a visit's arrival window: the technician is late after this."""
    return start + timedelta(minutes=settings.NOTICE_ARRIVAL_WINDOW_MINUTES)


class NoticeMail(EmailMultiAlternatives):
    """A notice about a Traveling visit, written when delivered (see the module's note)."""

    def __init__(
        self, *, kind: str, appointment: Appointment, estimate: Estimate | None, base_url: str
    ):
        super().__init__(subject=SUBJECTS[kind], to=[appointment.customer.email])
        self.render_later = (
            f"{__name__}.build",
            {
                "kind": kind,
                "appointment_id": appointment.pk,
                "minutes": estimate.minutes if estimate else None,
                "arrival": estimate.arrival.isoformat() if estimate else None,
                "base_url": base_url,
            },
        )

    def message(self):
        return build(**self.render_later[1]).message()


def build(
    *, kind: str, appointment_id: int, minutes: int | None, arrival: str | None, base_url: str
) -> EmailMultiAlternatives:
    """The notice of `kind`, telling the estimate it was sent for, ready to send."""
    appointment = Appointment.objects.select_related(
        "customer", "service_account", "service_type"
    ).get(pk=appointment_id)
    customer = appointment.customer
    zone = zone_for(customer=customer, account=appointment.service_account)
    unsubscribe = base_url + reverse("notices:unsubscribe", args=[unsubscribe_token(customer.pk)])
    context = {
        "appointment": appointment,
        "customer": customer,
        "minutes": minutes,
        "arrival": local_text(datetime.fromisoformat(arrival), zone, TIME) if arrival else "",
        "window": local_period(appointment.start, window_end(appointment.start), zone, TIME),
        "map_link": base_url + reverse("tracking:live_map", args=[appointment.pk]),
        "unsubscribe_link": unsubscribe,
        "contact_phone": settings.CONTACT_PHONE,
        "contact_email": settings.CONTACT_EMAIL,
        "portal_name": settings.PORTAL_NAME,
    }
    return EmailMultiAlternatives(
        subject=SUBJECTS[kind],
        body=render_to_string(f"tracking/email/{kind}.txt", context),
        to=[customer.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
