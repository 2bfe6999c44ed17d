"""Invitations: invite, send again, revoke, redeem. Each is one transaction and raises
InvitationError with a message for the person in front of the screen."""

from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from common import codes
from portal.models import Invitation, User
from scheduling.models import ServiceAccount, zone_for

CODE_LENGTH = 20  # 20 symbols x 5 bits = 100 bits of randomness


class InvitationError(Exception):
    """An invitation cannot be used or changed; the message is shown as it is."""


def new_code() -> str:
    return codes.random_code(CODE_LENGTH)


def normalize_code(raw: str) -> str:
    """What the customer typed, as stored: upper case, without spaces or dashes."""
    return codes.normalize(raw)


def invitation_link(invitation: Invitation, *, base_url: str | None = None) -> str:
    """The redeem link with the code filled in, at `base_url` (where the dispatcher reached
    the portal) or, outside a request, at PORTAL_BASE_URL."""
    query = urlencode({"code": invitation.display_code})
    return f"{base_url or settings.PORTAL_BASE_URL}{reverse('portal:redeem')}?{query}"


def _send_invitation_mail(invitation: Invitation, *, base_url: str | None) -> None:
    context = {
        "invitation": invitation,
        "link": invitation_link(invitation, base_url=base_url),
        "portal_name": settings.PORTAL_NAME,
        "time_zone": zone_for(account=invitation.service_account),
    }
    message = EmailMultiAlternatives(
        subject=f"Your invitation to {settings.PORTAL_NAME}",
        body=render_to_string("portal/email/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(
        render_to_string("portal/email/invitation.html", context), "text/html"
    )
    message.send()
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["sent_at"])


def check_invitable(email: str) -> None:
    """An address that already has an account needs no invitation: redeeming would fail.
    Said before any mail goes out (the admin form asks this too)."""
    if User.objects.filter(email__iexact=email.strip()).exists():
        raise InvitationError(
            f"An account for {email.strip().lower()} already exists: they can sign in, or "
            "reset their password."
        )


@transaction.atomic
def invite(
    *,
    contact_name: str,
    email: str,
    service_account: ServiceAccount,
    created_by: User | None,
    now: datetime | None = None,
    base_url: str | None = None,
) -> Invitation:
    """Send an invitation. At most one is pending per address (a partial unique index): a
    pending one is replaced, so inviting again resends it with a new code and the old code
    stops working."""
    now = now or timezone.now()
    email = email.strip().lower()
    check_invitable(email)
    pending = (
        Invitation.objects.select_for_update()
        .filter(email=email, status=Invitation.Status.PENDING)
        .first()
    )
    if pending is not None:
        # Revoked before the insert: the index allows one pending row per address.
        pending.status = Invitation.Status.REVOKED
        pending.save(update_fields=["status"])
    try:
        # Two first invitations at the same moment both find nothing pending; the index
        # decides. The savepoint keeps the caller's transaction usable.
        with transaction.atomic():
            invitation = Invitation.objects.create(
                contact_name=contact_name,
                email=email,
                service_account=service_account,
                code=new_code(),
                created_at=now,
                expires_at=now + timedelta(days=settings.INVITATION_TTL_DAYS),
                created_by=created_by,
            )
    except IntegrityError:
        raise InvitationError(
            f"Another invitation to {email} was sent at the same moment; nothing more was sent."
        ) from None
    if pending is not None:
        pending.replaced_by = invitation
        pending.save(update_fields=["replaced_by"])
    _send_invitation_mail(invitation, base_url=base_url)
    return invitation


def _locked(invitation: Invitation) -> Invitation:
    return Invitation.objects.select_for_update().get(pk=invitation.pk)


@transaction.atomic
def resend(*, invitation: Invitation, by: User | None, base_url: str | None = None) -> Invitation:
    """A new code in a new mail; the old code stops working."""
    old = _locked(invitation)
    if old.status == Invitation.Status.REDEEMED:
        raise InvitationError(f"{old.email} has already redeemed this invitation.")
    if old.replaced_by_id:
        # Replacing it again would leave the newer code working beside the newest.
        raise InvitationError(
            f"A newer invitation was already sent to {old.email}; send that one again."
        )
    new = invite(
        contact_name=old.contact_name,
        email=old.email,
        service_account=old.service_account,
        created_by=by,
        base_url=base_url,
    )
    # invite() replaced `old` itself when it was the pending one; an expired or revoked one
    # is linked here so its code's error names the newer mail.
    old.refresh_from_db(fields=["status", "replaced_by"])
    if old.replaced_by_id is None:
        old.replaced_by = new
        old.save(update_fields=["replaced_by"])
    return new


@transaction.atomic
def revoke(*, invitation: Invitation) -> None:
    locked = _locked(invitation)
    if locked.status != Invitation.Status.PENDING:
        raise InvitationError(
            f"Only pending invitations can be revoked; this one is {locked.status}."
        )
    locked.status = Invitation.Status.REVOKED
    locked.save(update_fields=["status"])


def expire_invitations(*, now: datetime) -> int:
    return Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__lte=now).update(
        status=Invitation.Status.EXPIRED
    )


def check_redeemable(invitation: Invitation | None, *, now: datetime | None = None) -> Invitation:
    """The invitation when its code can be redeemed now, else InvitationError saying why."""
    if invitation is None:
        raise InvitationError(
            "We don't recognise that code. Check it against your invitation email."
        )
    if invitation.status == Invitation.Status.REDEEMED:
        raise InvitationError(
            "This invitation has already been used. Sign in, or reset your password if you "
            "have forgotten it."
        )
    if invitation.status == Invitation.Status.REVOKED:
        if invitation.replaced_by_id:
            raise InvitationError(
                "A newer invitation was sent to you. Use the code in the latest email."
            )
        raise InvitationError("This invitation was withdrawn. Contact us for a new one.")
    if invitation.status == Invitation.Status.EXPIRED or invitation.is_expired(now):
        raise InvitationError("This invitation has expired. Contact us to send a new one.")
    return invitation


def find_redeemable(code: str, *, now: datetime | None = None) -> Invitation:
    normalized = normalize_code(code)
    invitation = (
        Invitation.objects.select_related("service_account").filter(code=normalized).first()
    )
    return check_redeemable(invitation, now=now)


@transaction.atomic
def redeem_invitation(
    *,
    invitation_id: int,
    first_name: str,
    last_name: str,
    phone: str,
    time_zone: str,
    password: str,
) -> User:
    """Create the customer's account from a pending invitation. Locks the invitation so a
    replayed or doubled form makes one account; its email counts as verified."""
    invitation = check_redeemable(
        Invitation.objects.select_for_update().filter(pk=invitation_id).first()
    )
    account_exists = InvitationError(
        f"An account for {invitation.email} already exists. Sign in, or reset your password."
    )
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise account_exists
    try:
        # Another invitation for the same address, redeemed at the same moment, passes the
        # check above too; the unique email decides. The savepoint keeps this transaction
        # usable for whatever the caller does next.
        with transaction.atomic():
            user = User.objects.create_user(
                email=invitation.email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                phone=phone,
                time_zone=time_zone,
                service_account=invitation.service_account,
            )
    except IntegrityError:
        raise account_exists from None
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    invitation.status = Invitation.Status.REDEEMED
    invitation.redeemed_at = timezone.now()
    invitation.redeemed_by = user
    invitation.save(update_fields=["status", "redeemed_at", "redeemed_by"])
    return user


@transaction.atomic
def update_profile(
    *, user: User, first_name: str, last_name: str, phone: str, time_zone: str
) -> User:
    user.first_name, user.last_name, user.phone, user.time_zone = (
        first_name,
        last_name,
        phone,
        time_zone,
    )
    user.save(update_fields=["first_name", "last_name", "phone", "time_zone"])
    return user
