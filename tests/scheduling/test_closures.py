"""Closures: dates a territory takes no visits (public holidays). A closed day offers no
times and says why, a booking on it is refused, other territories book as usual, and the
date is the site's calendar date whatever DST does."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from scheduling.availability import UTC, Closed, closure_spans
from scheduling.models import Appointment, Closure
from tests.factories import CustomerFactory, ResourceFactory, ServiceAccountFactory
from tests.support.booking import booking_form
from tests.support.clock import LA, next_weekday_at
from tests.support.mfa import sign_in_with_totp

SLOTS = reverse("scheduling:slots")
BOOK = reverse("scheduling:book")
NOT_AVAILABLE = "That time is not available. Please pick one of the offered times."


def _slots(client, repair, day: date) -> str:
    response = client.get(SLOTS, {"service_type": repair.pk, "day": day.isoformat()})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_a_closed_day_offers_no_times_and_says_why(alice_client, account, technician, repair):
    monday = next_weekday_at("00:00").date()
    Closure.objects.create(territory=account.territory, date=monday, name="Memorial Day")

    html = _slots(alice_client, repair, monday)

    assert 'name="start"' not in html
    assert "Closed for Memorial Day." in html
    tuesday = _slots(alice_client, repair, monday + timedelta(days=1))
    assert tuesday.count('name="start"') == 14  # the day after is open as usual


@pytest.mark.django_db
def test_a_crafted_post_for_a_closed_day_is_refused(alice_client, account, technician, repair):
    start = next_weekday_at("10:00")
    Closure.objects.create(territory=account.territory, date=start.date(), name="Memorial Day")

    response = alice_client.post(BOOK, booking_form(repair, start))

    assert NOT_AVAILABLE in response.content.decode()
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_other_territories_are_not_closed(client, account, technician, repair):
    monday = next_weekday_at("00:00").date()
    Closure.objects.create(territory=account.territory, date=monday, name="Memorial Day")
    elsewhere = ServiceAccountFactory()
    assert elsewhere.territory != account.territory
    ResourceFactory(territories=[elsewhere.territory])
    client.force_login(CustomerFactory(service_account=elsewhere, time_zone="America/Los_Angeles"))

    assert _slots(client, repair, monday).count('name="start"') == 14
    response = client.post(BOOK, booking_form(repair, next_weekday_at("10:00")), follow=True)
    assert response.status_code == 200
    assert Appointment.objects.get().service_account == elsewhere


def test_a_closed_date_is_the_sites_whole_local_day_across_dst():
    spring, autumn, plain = date(2030, 3, 10), date(2030, 11, 3), date(2030, 5, 27)
    spans = closure_spans({spring: "A", autumn: "B", plain: "C"}, LA)

    (a, _), (c, _), (b, _) = spans
    assert a.end - a.start == timedelta(hours=23)
    assert b.end - b.start == timedelta(hours=25)
    assert c.end - c.start == timedelta(hours=24)
    for (span, _), day in zip(spans, (spring, plain, autumn), strict=True):
        assert span.start.astimezone(LA).replace(tzinfo=None) == datetime(*day.timetuple()[:3])
        assert span.end.astimezone(LA).date() == day + timedelta(days=1)
        assert span.start.tzinfo == UTC
    assert Closed("Memorial Day").value == "Closed for Memorial Day."
    assert Closed("Memorial Day").short == "Closed"


@pytest.mark.django_db
def test_the_closure_follows_the_sites_zone_not_the_customers(client, technician, account, repair):
    """A customer in New York sees the Seattle site's closed day: its 10:00 Pacific start
    (13:00 Eastern) is refused, and the next day's offered."""
    start = next_weekday_at("10:00")
    Closure.objects.create(territory=account.territory, date=start.date(), name="Memorial Day")
    client.force_login(CustomerFactory(service_account=account, time_zone="America/New_York"))
    eastern = ZoneInfo("America/New_York")

    html = _slots(client, repair, start.astimezone(eastern).date())
    assert 'name="start"' not in html and "Closed for Memorial Day." in html
    response = client.post(BOOK, booking_form(repair, start, zone=eastern))
    assert NOT_AVAILABLE in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_closure_added_in_admin_shows_in_the_next_slots(
    alice_client, dispatcher, account, technician, repair
):
    monday = next_weekday_at("00:00").date()
    assert _slots(alice_client, repair, monday).count('name="start"') == 14  # cached now

    admin = Client()
    sign_in_with_totp(admin, dispatcher)
    saved = admin.post(
        reverse("admin:scheduling_closure_add"),
        {"territory": account.territory.pk, "date": monday.isoformat(), "name": "Memorial Day"},
    )
    assert saved.status_code == 302, saved.context and saved.context["errors"]

    html = _slots(alice_client, repair, monday)
    assert 'name="start"' not in html and "Closed for Memorial Day." in html
