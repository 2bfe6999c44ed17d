"""A customer closes their account: the visits stay for the company's history, the person
goes. One transaction: cancel what is still to come (through scheduling's transitions, so the
technicians' time is freed and the history says why), erase or anonymise every piece of
personal data, and make sure no mail reaches the old address afterwards."""

from dataclasses import dataclass
from datetime import datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal.customer_data import visits_of
from portal.models import Invitation, OutboxMessage, User, closed_address
from scheduling import services as scheduling
from scheduling.models import Appointment, AppointmentEvent, Resource, ServiceAccount
from surveys.models import Answer, Question

CLOSED_REASON = "Account closed"
# Kept of a site no customer uses any more: about a kilometre, enough for the company's
# travel figures, not enough to find the house.
COARSE_DECIMALS = 2
UNDER_WAY = (Appointment.Status.TRAVELING, Appointment.Status.IN_PROGRESS)
DB_SESSION_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
)


class ClosingError(Exception):
    """The account cannot be closed now; the message says why and what to do."""


@dataclass
class Plan:
    """What closing would do now, for the confirmation page."""

    upcoming: int  # visits that would be canceled
    site_kept: bool  # someone else still uses the site: its address stays
    refusal: str | None  # why it cannot be closed now


@dataclass
class Closed:
    canceled: int  # upcoming visits canceled
    already: bool = False  # closed before: nothing was done this time


STAFF_REFUSAL = "Staff and technician accounts are closed by an administrator."
UNDER_WAY_REFUSAL = (
    "A technician is on the way to you or at work on a visit. You can close your account "
    "once that visit is over."
)


def _scope(user: User) -> tuple[QuerySet[Appointment], bool]:
    """The visits that go with the person, and whether they are the last open customer of
    their site: then every visit of the site goes too, and the site's address."""
    site = user.service_account
    last_of_site = site is not None and not (
        site.customers.filter(closed_at=None).exclude(pk=user.pk).exists()
    )
    visits = visits_of(user)
    if last_of_site:
        visits = visits | Appointment.objects.filter(service_account=site)
    return visits, last_of_site


def _refusal(user: User, open_visits) -> str | None:
    if user.is_staff or Resource.objects.filter(user=user).exists():
        return STAFF_REFUSAL
    if any(visit.status in UNDER_WAY for visit in open_visits):
        return UNDER_WAY_REFUSAL
    return None


def plan(*, user: User) -> Plan:
    visits, last_of_site = _scope(user)
    open_visits = list(visits.filter(status__in=Appointment.ACTIVE).only("status"))
    return Plan(
        upcoming=sum(visit.status == Appointment.Status.SCHEDULED for visit in open_visits),
        site_kept=user.service_account_id is not None and not last_of_site,
        refusal=_refusal(user, open_visits),
    )


@transaction.atomic
def close_account(*, user: User, now: datetime | None = None) -> Closed:
    """Close `user`'s account. Closing twice (a replayed form) does nothing the second time."""
    now = now or timezone.now()
    user = (
        User.objects.select_related("service_account")
        .select_for_update(of=("self",))
        .get(pk=user.pk)
    )
    if user.closed_at is not None:
        return Closed(canceled=0, already=True)
    old_email, site = user.email, user.service_account
    visits, last_of_site = _scope(user)
    # Locked in id order, so a technician's app changing one of them waits for us and then
    # finds it canceled, instead of setting off to an address we are erasing.
    open_visits = list(
        visits.filter(status__in=Appointment.ACTIVE).select_for_update(of=("self",)).order_by("id")
    )
    refusal = _refusal(user, open_visits)
    if refusal:
        raise ClosingError(refusal)

    _erase_person(user, old_email=old_email, now=now)
    _erase_what_they_wrote(user, visits=visits)
    if last_of_site:
        _erase_site(site)
    # After the person is erased: the cancel mails are addressed to the closed address,
    # which portal.mail writes no row for.
    for visit in open_visits:
        scheduling.transition(
            appointment=visit, to=Appointment.Status.CANCELED, by=user, note=CLOSED_REASON
        )
    _forget_mail_to(old_email)
    _end_sessions(user)
    return Closed(canceled=len(open_visits))


def _erase_person(user: User, *, old_email: str, now: datetime) -> None:
    user.email = closed_address(user.pk)
    user.first_name = user.last_name = user.phone = user.time_zone = ""
    user.is_active = False
    user.closed_at = now
    user.set_unusable_password()  # also ends every other session (its auth hash changes)
    user.save()
    EmailAddress.objects.filter(user=user).delete()
    SocialAccount.objects.filter(user=user).delete()  # their tokens go with them
    Authenticator.objects.filter(user=user).delete()  # authenticator app, recovery codes
    invitations = Invitation.objects.filter(
        pk__in=list(
            Invitation.objects.filter(Q(redeemed_by=user) | Q(email__iexact=old_email)).values_list(
                "pk", flat=True
            )
        )
    )
    # A pending one (invited again) would otherwise still be redeemable with the old code.
    invitations.filter(status=Invitation.Status.PENDING).update(status=Invitation.Status.REVOKED)
    invitations.update(contact_name="", email=user.email)
    _rename_in_admin_log(User, [user.pk], str(user))
    _rename_in_admin_log(Invitation, invitations.values_list("pk", flat=True), "Closed account")


def _erase_what_they_wrote(user: User, *, visits) -> None:
    """Comments on their visits, the reasons they gave, and their written feedback. Ratings,
    scores and choices stay: they say nothing about who gave them."""
    visits.update(comments="")
    canceled_by_them = AppointmentEvent.objects.filter(
        kind=AppointmentEvent.Kind.CANCELED, by=user
    ).values("appointment_id")
    Appointment.objects.filter(pk__in=canceled_by_them).update(cancel_reason="")
    AppointmentEvent.objects.filter(by=user).update(note="")
    Answer.objects.filter(response__customer=user, kind=Question.Kind.TEXT).update(value="")


def _erase_site(site: ServiceAccount) -> None:
    site = ServiceAccount.objects.select_for_update().get(pk=site.pk)
    site.name = f"Closed site {site.pk}"
    site.address = ""
    site.location_error = ""
    if site.latitude is not None:
        site.latitude = round(site.latitude, COARSE_DECIMALS)
        site.longitude = round(site.longitude, COARSE_DECIMALS)
    site.save()
    _rename_in_admin_log(ServiceAccount, [site.pk], site.name)


def _forget_mail_to(address: str) -> None:
    """Mail to the old address, whatever its state: not yet sent (its delivery task then
    finds nothing), or sent (its copy holds the person's name and address)."""
    address = address.lower()
    rows = OutboxMessage.objects.filter(to__icontains=address).values_list("pk", "to")
    ids = [pk for pk, to in rows if address in (a.strip().lower() for a in to.split(","))]
    OutboxMessage.objects.filter(pk__in=ids).delete()


def _end_sessions(user: User) -> None:
    # Sessions kept elsewhere (a cache) stop working anyway: the user is inactive and the
    # password changed. Those in the database are removed.
    if settings.SESSION_ENGINE not in DB_SESSION_ENGINES:
        return
    theirs = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(pk__in=theirs).delete()


def _rename_in_admin_log(model, ids, text: str) -> None:
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in ids],
    ).update(object_repr=text[:200])
