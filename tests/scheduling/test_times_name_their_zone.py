"""Every time a customer sees, on a page or in a mail, is on their clock and names the zone:
an abbreviation right for that date (DST included), or the zone's name where it has none."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from portal.models import OutboxMessage
from scheduling import notifications
from scheduling.models import Appointment, AppointmentEvent
from tests.factories import CustomerFactory, ResourceFactory, ServiceAccountFactory
from tests.support.mail import body

pytestmark = pytest.mark.django_db
Status = Appointment.Status

WINTER = datetime(2030, 12, 2, 18, 0, tzinfo=UTC)  # Mon 2 Dec 2030, 10:00 AM PST
SUMMER = datetime(2030, 7, 1, 17, 0, tzinfo=UTC)  # Mon 1 Jul 2030, 10:00 AM PDT


@pytest.fixture
def site():
    return ServiceAccountFactory(time_zone="America/Los_Angeles")


@pytest.fixture
def customer(site, client):
    user = CustomerFactory(service_account=site, first_name="Alice", time_zone="")
    client.force_login(user)
    return user


def visit(site, customer, repair, start, status=Status.SCHEDULED) -> Appointment:
    return Appointment.objects.create(
        service_account=site,
        customer=customer,
        product=repair.products.get(),
        service_type=repair,
        resource=ResourceFactory(territories=[site.territory]),
        start=start,
        end=start + timedelta(hours=1),
        status=status,
    )


def test_home_cards_name_the_zone_in_winter_and_summer(client, site, customer, repair):
    visit(site, customer, repair, WINTER)
    visit(site, customer, repair, SUMMER)
    visit(site, customer, repair, datetime(2025, 6, 30, 17, 0, tzinfo=UTC), status=Status.COMPLETED)

    upcoming = client.get(reverse("portal:home")).content.decode()
    past = client.get(reverse("portal:home"), {"tab": "past"}).content.decode()

    assert "Mon 2 Dec 2030, 10:00 AM – 11:00 AM PST" in upcoming
    assert "Mon 1 Jul 2030, 10:00 AM – 11:00 AM PDT" in upcoming
    assert "Mon 30 Jun 2025, 10:00 AM – 11:00 AM PDT" in past


def test_the_history_names_the_zone_of_each_moment(client, site, customer, repair):
    appointment = visit(site, customer, repair, WINTER)
    AppointmentEvent.objects.create(
        appointment=appointment, kind=AppointmentEvent.Kind.BOOKED, at=SUMMER - timedelta(days=7)
    )
    AppointmentEvent.objects.create(
        appointment=appointment,
        kind=AppointmentEvent.Kind.RESCHEDULED,
        at=datetime(2030, 11, 20, 16, 5, tzinfo=UTC),
        from_start=SUMMER,
        to_start=WINTER,
    )

    html = client.get(reverse("scheduling:appointment", args=[appointment.pk])).content.decode()

    assert "24 Jun 2030, 10:00 AM PDT</time> · Booked" in html
    assert "20 Nov 2030, 8:05 AM PST</time> · Rescheduled to Mon 2 Dec, 10:00 AM PST" in html
    assert "Monday 2 December 2030, 10:00 AM – 11:00 AM PST" in html  # the summary


def test_a_zone_without_an_abbreviation_is_named(client, customer, site, repair):
    customer.time_zone = "Europe/Istanbul"  # tz data has only "+03" for it
    customer.save()
    visit(site, customer, repair, WINTER)

    html = client.get(reverse("portal:home")).content.decode()

    assert "Mon 2 Dec 2030, 9:00 PM – 10:00 PM Europe/Istanbul" in html
    assert "+03" not in html


def test_a_visit_across_the_clock_change_names_both_sides(client, site, customer, repair):
    # 3 Nov 2030 in Seattle: 1:00-2:00 AM happens twice, first PDT then PST.
    start = datetime(2030, 11, 3, 8, 30, tzinfo=UTC)
    visit(site, customer, repair, start)

    html = client.get(reverse("portal:home")).content.decode()

    assert "Sun 3 Nov 2030, 1:30 AM PDT – 1:30 AM PST" in html


@pytest.mark.parametrize(
    "zone, when, before",
    [
        ("America/Los_Angeles", "10:00 AM – 11:00 AM PST", "10:00 AM PDT"),
        ("Europe/Istanbul", "9:00 PM – 10:00 PM Europe/Istanbul", "8:00 PM Europe/Istanbul"),
    ],
)
def test_mails_name_the_zone(site, customer, repair, zone, when, before):
    customer.time_zone = zone
    customer.save()
    appointment = visit(site, customer, repair, WINTER)

    notifications.booked(appointment)
    notifications.rescheduled(appointment, old_start=SUMMER)

    booked, rescheduled = (body(m) for m in OutboxMessage.objects.order_by("id"))
    assert f"When:    Monday 2 December 2030, {when}\n" in booked
    assert f"Before:  Monday 1 July 2030, {before}\n" in rescheduled
