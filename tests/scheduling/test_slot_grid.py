"""Offered starts step from midnight at the site, on its wall clock, whatever zone the
customer reads them in; a booking is refused for a start off that grid."""

import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from scheduling import services
from scheduling.models import Appointment, SchedulingSettings
from tests.factories import CustomerFactory, ResourceFactory, ServiceAccountFactory
from tests.support.clock import LA, next_weekday_at

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
UTC = ZoneInfo("UTC")


def slot_step(minutes: int) -> None:
    SchedulingSettings.objects.create(pk=1, slot_step_minutes=minutes)
    SchedulingSettings.forget()


def clock(starts: list[datetime], zone: ZoneInfo) -> list[str]:
    return [s.astimezone(zone).strftime("%H:%M") for s in starts]


@pytest.fixture
def berlin_site():
    site = ServiceAccountFactory(
        address="Alexanderplatz 1, 10178 Berlin, Germany",
        latitude=52.5219,
        longitude=13.4132,
        time_zone="Europe/Berlin",
    )
    ResourceFactory(
        territories=[site.territory],
        time_zone="Europe/Berlin",
        home_latitude=52.5200,
        home_longitude=13.4050,
        works="Sat 08:00-16:00",
    )
    return site


def test_a_customer_in_new_york_books_on_the_berlin_grid(berlin_site, repair):
    # 2027-03-20: New York is on summer time, Berlin not yet, so they are 5 hours apart
    # and a 45-minute grid from New York's midnight falls at :15 or :30 past Berlin's.
    slot_step(45)
    customer = CustomerFactory(service_account=berlin_site, time_zone="America/New_York")
    saturday, now = date(2027, 3, 20), datetime(2027, 3, 15, 12, tzinfo=UTC)

    calendar = services.availability(
        account=berlin_site, service_type=repair, days=[saturday], zone=NEW_YORK, now=now
    )
    starts = calendar.slots(saturday).starts

    assert clock(starts, BERLIN) == [
        "08:15", "09:00", "09:45", "10:30", "11:15", "12:00", "12:45", "13:30", "14:15", "15:00",
    ]  # fmt: skip
    assert clock(starts, NEW_YORK) == [
        "03:15", "04:00", "04:45", "05:30", "06:15", "07:00", "07:45", "08:30", "09:15", "10:00",
    ]  # fmt: skip
    book = {"account": berlin_site, "customer": customer, "product": repair.products.first(),
            "service_type": repair, "now": now}  # fmt: skip
    # 03:00 in New York is on its own grid, and the technician is free then (08:00 Berlin).
    on_new_york_grid = datetime(2027, 3, 20, 3, 0, tzinfo=NEW_YORK)
    with pytest.raises(services.SchedulingError, match="pick one of the offered times"):
        services.book(start=on_new_york_grid, **book)
    appointment = services.book(start=starts[2], token=uuid.uuid4(), **book)
    assert appointment.start.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") == "2027-03-20 09:45"
    assert Appointment.objects.count() == 1


def test_the_slots_page_shows_the_site_grid_in_the_customer_time_zone(client, repair):
    # India is 13.5 or 12.5 hours from Seattle: an hourly grid from Kolkata's midnight is
    # always half past the hour in Seattle.
    slot_step(60)
    site = ServiceAccountFactory()  # in Seattle
    ResourceFactory(territories=[site.territory])  # Mon-Fri 08:00-16:00 Seattle time
    customer = CustomerFactory(service_account=site, time_zone="Asia/Kolkata")
    client.force_login(customer)
    tuesday_in_kolkata = next_weekday_at("00:00").date() + timedelta(days=1)

    html = client.get(
        reverse("scheduling:slots"), {"service_type": repair.pk, "day": tuesday_in_kolkata}
    ).content.decode()

    starts = [datetime.fromisoformat(v) for v in re.findall(r'name="start" value="([^"]+)"', html)]
    assert starts and {s.astimezone(LA).minute for s in starts} == {0}
    shown = re.findall(r"<span>(\d+:\d\d [AP]M)</span>", html)
    assert shown == [s.astimezone(KOLKATA).strftime("%-I:%M %p") for s in starts]
    assert "Asia/Kolkata" in html

    form = {
        "product": repair.products.first().pk,
        "service_type": repair.pk,
        "day": tuesday_in_kolkata.isoformat(),
        "token": str(uuid.uuid4()),
    }
    on_kolkata_grid = starts[0] + timedelta(minutes=30)
    response = client.post(
        reverse("scheduling:book"), form | {"start": on_kolkata_grid.isoformat()}
    )
    assert "Please pick one of the offered times." in response.content.decode()
    assert not Appointment.objects.exists()
    response = client.post(reverse("scheduling:book"), form | {"start": starts[0].isoformat()})
    assert response.status_code == 302
    assert Appointment.objects.get().start == starts[0]
