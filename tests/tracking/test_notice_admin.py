"""Dispatchers see the notices sent and who unsubscribed, read-only: the portal writes them."""

from datetime import timedelta

import pytest
from django.urls import reverse

from tracking.models import Notice, NoticeOptOut

pytestmark = pytest.mark.django_db


def test_the_notices_are_listed_on_the_sites_clock(admin_client, appointment, clock):
    notice = Notice.objects.create(
        appointment=appointment,
        kind=Notice.Kind.ARRIVING_SOON,
        sent_at=clock.now,
        arrival=clock.now + timedelta(minutes=9),
    )
    listing = admin_client.get(reverse("admin:tracking_notice_changelist"))
    assert listing.status_code == 200
    assert b"Arriving soon" in listing.content
    assert b"Tue 2030-06-04 09:09 PDT" in listing.content

    page = admin_client.get(reverse("admin:tracking_notice_change", args=[notice.pk]))
    assert page.status_code == 200
    assert b"Tue 2030-06-04 09:00 PDT" in page.content
    assert admin_client.get(reverse("admin:tracking_notice_add")).status_code == 403


def test_the_unsubscribed_customers_are_listed(admin_client, alice):
    NoticeOptOut.objects.create(customer=alice)
    listing = admin_client.get(reverse("admin:tracking_noticeoptout_changelist"))
    assert listing.status_code == 200
    assert b"Alice Doe" in listing.content
