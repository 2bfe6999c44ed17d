"""Invitations show the times of their site's zone; the outbox, which belongs to no site,
the portal's default zone; each page says which."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from portal.models import OutboxMessage
from tests.factories import CustomerFactory, InvitationFactory, ServiceAccountFactory

pytestmark = pytest.mark.django_db


def test_invitation_times_are_on_the_sites_clock(admin_client):
    site = ServiceAccountFactory(time_zone="Europe/Berlin")
    invitation = InvitationFactory(
        service_account=site,
        expires_at=datetime(2027, 7, 12, 8, 0, tzinfo=UTC),
        sent_at=datetime(2027, 1, 11, 9, 0, tzinfo=UTC),
    )

    listing = admin_client.get(reverse("admin:portal_invitation_changelist")).content.decode()
    page = admin_client.get(
        reverse("admin:portal_invitation_change", args=[invitation.pk])
    ).content.decode()

    assert "Mon 2027-07-12 10:00 CEST" in listing
    assert "Mon 2027-01-11 10:00 CET" in listing
    assert "Times in Europe/Berlin, the site&#x27;s zone." in page
    assert "July 12, 2027, 10 a.m." in page


def test_the_outbox_is_on_the_portals_default_clock(admin_client, settings):
    settings.PORTAL_DEFAULT_TIME_ZONE = "Europe/Berlin"
    row = OutboxMessage.objects.create(subject="Hello", to="a@example.com", payload={})
    OutboxMessage.objects.filter(pk=row.pk).update(
        created_at=datetime(2027, 1, 11, 9, 0, tzinfo=UTC),
        sent_at=datetime(2027, 7, 12, 8, 0, tzinfo=UTC),
    )

    listing = admin_client.get(reverse("admin:portal_outboxmessage_changelist")).content.decode()
    page = admin_client.get(
        reverse("admin:portal_outboxmessage_change", args=[row.pk])
    ).content.decode()

    assert "Mon 2027-01-11 10:00 CET" in listing
    assert "Mon 2027-07-12 10:00 CEST" in listing
    assert "The date filter uses Europe/Berlin, the portal&#x27;s default zone." in listing
    assert "Times in Europe/Berlin, the portal&#x27;s default zone." in page


def test_a_users_dates_are_shown_and_taken_on_their_clock(admin_client):
    user = CustomerFactory(time_zone="America/Los_Angeles")
    user.date_joined = datetime(2027, 1, 11, 18, 0, tzinfo=UTC)
    user.save()

    html = admin_client.get(reverse("admin:portal_user_change", args=[user.pk])).content.decode()

    assert 'name="date_joined_0" value="2027-01-11"' in html
    assert 'name="date_joined_1" value="10:00:00"' in html
    assert "America/Los_Angeles time." in html
    assert "Times in America/Los_Angeles, the user&#x27;s zone." in html
