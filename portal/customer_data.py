"""What the portal holds about one customer, as the file they download from their profile:
profile, site, visits with their history, survey feedback and mail opt-outs. Only their own:
visits they booked and those the company booked for their site, never those another person
booked at a shared site, and only feedback they gave."""

from datetime import datetime
from zoneinfo import ZoneInfo

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal.models import User
from scheduling.models import Appointment, ServiceAccount, zone_for
from surveys.models import OptOut, Response
from tracking.models import NoticeOptOut

FORMAT_VERSION = 1


def visits_of(user: User) -> QuerySet[Appointment]:
    """The customer's visits: booked by them, or booked for their site with no customer."""
    own = Q(customer=user)
    if user.service_account_id:
        own |= Q(service_account_id=user.service_account_id, customer=None)
    return Appointment.objects.filter(own)


def customer_data(*, user: User, now: datetime | None = None) -> dict:
    """Everything about `user`, as plain JSON-ready data. Times are given twice: in UTC and
    on the customer's clock, naming the zone."""
    zone = zone_for(customer=user)
    now = now or timezone.now()
    visits = (
        visits_of(user)
        .select_related("service_account", "service_type", "product", "resource__user")
        .prefetch_related("events")  # in their order (at, id); only the author's id is read
        .order_by("start", "id")
    )
    responses = (
        Response.objects.filter(customer=user)
        .prefetch_related("answers")
        .order_by("submitted_at", "id")
    )
    return {
        "format_version": FORMAT_VERSION,
        "portal": settings.PORTAL_NAME,
        "exported_at": _when(now, zone),
        "time_zone": zone.key,
        "profile": _profile(user, zone),
        "sites": [_site(user.service_account)] if user.service_account_id else [],
        "visits": [_visit(visit, user, zone) for visit in visits],
        "feedback": [_feedback(response, zone) for response in responses],
        "mail_opt_outs": _opt_outs(user, zone),
    }


def _when(moment: datetime | None, zone: ZoneInfo) -> dict | None:
    if moment is None:
        return None
    return {
        "utc": moment.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z"),
        "local": moment.astimezone(zone).isoformat(),
    }


def _fields(row, names: tuple[str, ...]) -> dict:
    return {name: getattr(row, name) for name in names}


def _profile(user: User, zone: ZoneInfo) -> dict:
    return {
        **_fields(user, ("email", "first_name", "last_name", "phone")),
        "time_zone": user.time_zone or None,
        "joined": _when(user.date_joined, zone),
        "last_sign_in": _when(user.last_login, zone),
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in user.emailaddress_set.order_by("id")
        ],
        "external_accounts": [
            {"provider": a.provider, "uid": a.uid} for a in user.socialaccount_set.order_by("id")
        ],
        # That they are set up, not their secrets.
        "two_factor": [
            {"kind": a.get_type_display(), "added": _when(a.created_at, zone)}
            for a in Authenticator.objects.filter(user=user).order_by("id")
        ],
    }


def _site(site: ServiceAccount) -> dict:
    return {
        **_fields(site, ("name", "address", "latitude", "longitude")),
        "time_zone": site.time_zone or None,
        "territory": site.territory.name,
    }


def _visit(visit: Appointment, user: User, zone: ZoneInfo) -> dict:
    return {
        "id": visit.pk,
        "status": visit.get_status_display(),
        "start": _when(visit.start, zone),
        "end": _when(visit.end, zone),
        "product": visit.product.name,
        "service_type": visit.service_type.name,
        "site": visit.service_account.name,
        "technician": str(visit.resource),
        "comments": visit.comments,
        "cancel_reason": visit.cancel_reason,
        "booked_by_you": visit.customer_id == user.pk,
        "history": [
            {
                "at": _when(event.at, zone),
                "what": event.get_kind_display(),
                "from_status": event.get_from_status_display() or None,
                "to_status": event.get_to_status_display() or None,
                "from_start": _when(event.from_start, zone),
                "to_start": _when(event.to_start, zone),
                "by": "you" if event.by_id == user.pk else "the company",
                "note": event.note if event.by_id == user.pk else "",
            }
            for event in visit.events.all()
        ],
    }


def _feedback(response: Response, zone: ZoneInfo) -> dict:
    return {
        "visit_id": response.appointment_id,
        "survey": response.survey_name,
        "submitted": _when(response.submitted_at, zone),
        "answers": [
            {"question": answer.text, "answer": answer.display} for answer in response.answers.all()
        ],
    }


def _opt_outs(user: User, zone: ZoneInfo) -> list[dict]:
    rows = [
        ("survey mails", OptOut.objects.filter(customer=user).first()),
        ("on-the-way notices", NoticeOptOut.objects.filter(customer=user).first()),
    ]
    return [{"mails": kind, "since": _when(row.created_at, zone)} for kind, row in rows if row]
