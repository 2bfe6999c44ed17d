"""The invitation lifecycle: invite, send again, revoke, expire, redeem once."""

import math
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from common import codes
from portal import services
from portal.models import Invitation, OutboxMessage, User
from portal.tasks import expire_invitations
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def _invite(account, dispatcher, email="bob@example.com"):
    return services.invite(
        contact_name="Bob Builder", email=email, service_account=account, created_by=dispatcher
    )


def test_an_invitation_mails_a_link_with_an_unguessable_code(account, dispatcher):
    invitation = _invite(account, dispatcher, email="Bob@Example.com")

    assert invitation.email == "bob@example.com"
    assert invitation.status == Invitation.Status.PENDING
    assert len(invitation.code) * math.log2(len(codes.ALPHABET)) >= 80
    assert set(invitation.code) <= set(codes.ALPHABET)
    assert invitation.expires_at - invitation.created_at == timedelta(days=14)
    assert invitation.sent_at is not None
    mail = OutboxMessage.objects.get()
    assert mail.to == "bob@example.com"
    assert mail.status == OutboxMessage.Status.QUEUED
    assert f"/redeem/?code={invitation.display_code}" in mail.payload["body"]
    assert invitation.display_code in mail.payload["alternatives"][0][0]


def test_codes_differ_every_time():
    codes = {services.new_code() for _ in range(2000)}
    assert len(codes) == 2000


def test_the_expiry_follows_the_setting(account, dispatcher, settings):
    settings.INVITATION_TTL_DAYS = 3
    invitation = _invite(account, dispatcher)
    assert invitation.expires_at - invitation.created_at == timedelta(days=3)


def test_a_code_is_found_however_it_is_typed(account, dispatcher):
    invitation = _invite(account, dispatcher)
    typed = " " + invitation.display_code.lower().replace("-", " - ") + " "
    assert services.find_redeemable(typed) == invitation
    # Crockford base32 reads O as 0 and I or L as 1.
    assert services.normalize_code("o-i-l") == "011"


def test_sending_again_revokes_the_old_code_and_mails_a_new_one(account, dispatcher):
    old = _invite(account, dispatcher)
    new = services.resend(invitation=old, by=dispatcher)

    old.refresh_from_db()
    assert old.status == Invitation.Status.REVOKED
    assert old.replaced_by == new
    assert new.code != old.code
    assert new.email == old.email
    assert new.status == Invitation.Status.PENDING
    assert OutboxMessage.objects.filter(to="bob@example.com").count() == 2
    with pytest.raises(services.InvitationError, match="newer invitation"):
        services.find_redeemable(old.code)
    assert services.find_redeemable(new.code) == new


def test_an_expired_invitation_can_be_sent_again(account, dispatcher):
    old = InvitationFactory(
        service_account=account,
        expires_at=timezone.now() - timedelta(days=1),
        status=Invitation.Status.EXPIRED,
    )
    new = services.resend(invitation=old, by=dispatcher)
    old.refresh_from_db()
    assert old.status == Invitation.Status.EXPIRED
    assert services.find_redeemable(new.code) == new


def test_a_redeemed_invitation_is_not_sent_again(account, dispatcher):
    invitation = InvitationFactory(service_account=account, status=Invitation.Status.REDEEMED)
    with pytest.raises(services.InvitationError, match="already redeemed"):
        services.resend(invitation=invitation, by=dispatcher)
    assert Invitation.objects.count() == 1


def test_a_replaced_invitation_is_not_sent_again(account, dispatcher):
    first = _invite(account, dispatcher)
    second = services.resend(invitation=first, by=dispatcher)

    with pytest.raises(services.InvitationError, match="newer invitation was already sent"):
        services.resend(invitation=first, by=dispatcher)

    assert Invitation.objects.count() == 2
    second.refresh_from_db()
    assert second.status == Invitation.Status.PENDING
    assert second.replaced_by is None
    assert services.resend(invitation=second, by=dispatcher).status == Invitation.Status.PENDING


def test_a_contact_can_be_invited_again(account, dispatcher):
    first = _invite(account, dispatcher)
    services.revoke(invitation=first)
    second = _invite(account, dispatcher)
    assert services.find_redeemable(second.code) == second


def test_inviting_again_resends_the_pending_invitation(account, dispatcher):
    first = _invite(account, dispatcher)
    second = _invite(account, dispatcher, email="BOB@example.com")

    first.refresh_from_db()
    assert first.status == Invitation.Status.REVOKED
    assert first.replaced_by == second
    assert Invitation.objects.filter(status=Invitation.Status.PENDING).get() == second
    assert OutboxMessage.objects.filter(to="bob@example.com").count() == 2
    with pytest.raises(services.InvitationError, match="newer invitation"):
        services.find_redeemable(first.code)
    assert services.find_redeemable(second.code) == second


def test_the_database_refuses_a_second_pending_invitation(account):
    InvitationFactory(service_account=account, email="bob@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory(service_account=account, email="bob@example.com")
    # Other states are history and may repeat.
    InvitationFactory(
        service_account=account, email="bob@example.com", status=Invitation.Status.REVOKED
    )
    assert Invitation.objects.filter(email="bob@example.com").count() == 2


def test_resending_an_old_invitation_replaces_the_pending_one(account, dispatcher):
    expired = InvitationFactory(
        service_account=account, email="bob@example.com", status=Invitation.Status.EXPIRED
    )
    pending = _invite(account, dispatcher)

    new = services.resend(invitation=expired, by=dispatcher)

    pending.refresh_from_db()
    expired.refresh_from_db()
    assert pending.status == Invitation.Status.REVOKED
    assert pending.replaced_by == new
    assert expired.replaced_by == new
    assert Invitation.objects.filter(status=Invitation.Status.PENDING).get() == new


def test_an_address_with_an_account_is_not_invited(account, dispatcher, alice):
    with pytest.raises(services.InvitationError, match="already exists"):
        _invite(account, dispatcher, email="Alice@Example.com")
    assert not Invitation.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_revoking_stops_the_code(account):
    invitation = InvitationFactory(service_account=account)
    services.revoke(invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    with pytest.raises(services.InvitationError, match="withdrawn"):
        services.find_redeemable(invitation.code)


def test_only_pending_invitations_can_be_revoked(account):
    invitation = InvitationFactory(service_account=account, status=Invitation.Status.REDEEMED)
    with pytest.raises(services.InvitationError, match="Only pending"):
        services.revoke(invitation=invitation)


def test_a_code_past_its_expiry_is_refused_before_the_sweep_marks_it(account):
    invitation = InvitationFactory(
        service_account=account, expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert invitation.current_status == Invitation.Status.EXPIRED
    with pytest.raises(services.InvitationError, match="expired"):
        services.find_redeemable(invitation.code)


def test_the_periodic_sweep_marks_expired_invitations(account):
    now = timezone.now()
    stale = InvitationFactory(service_account=account, expires_at=now - timedelta(seconds=1))
    fresh = InvitationFactory(service_account=account, expires_at=now + timedelta(days=1))
    used = InvitationFactory(
        service_account=account,
        expires_at=now - timedelta(days=1),
        status=Invitation.Status.REDEEMED,
    )

    assert expire_invitations.apply().get() == 1

    assert Invitation.objects.get(pk=stale.pk).status == Invitation.Status.EXPIRED
    assert Invitation.objects.get(pk=fresh.pk).status == Invitation.Status.PENDING
    assert Invitation.objects.get(pk=used.pk).status == Invitation.Status.REDEEMED


def _redeem(invitation, **overrides):
    fields = {
        "invitation_id": invitation.pk,
        "first_name": "Bob",
        "last_name": "Builder",
        "phone": "+1 206 555 0199",
        "time_zone": "America/Los_Angeles",
        "password": "a-long-enough-passphrase",
    }
    return services.redeem_invitation(**(fields | overrides))


def test_redeeming_makes_a_customer_with_a_verified_email(account):
    invitation = InvitationFactory(service_account=account, email="bob@example.com")
    user = _redeem(invitation)

    assert user.email == "bob@example.com"
    assert user.service_account == account
    assert user.check_password("a-long-enough-passphrase")
    assert user.emailaddress_set.get().verified
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REDEEMED
    assert invitation.redeemed_by == user


def test_a_code_is_redeemed_once(account):
    invitation = InvitationFactory(service_account=account)
    _redeem(invitation)
    with pytest.raises(services.InvitationError, match="already been used"):
        _redeem(invitation)
    assert User.objects.count() == 1


def test_an_invitation_for_an_address_with_an_account_is_refused(account, alice):
    invitation = InvitationFactory(service_account=account, email="ALICE@example.com")
    with pytest.raises(services.InvitationError, match="already exists"):
        _redeem(invitation)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
