"""Dispatchers read and enter times in the zone that applies (the site's for appointments,
the technician's for time off), never silently in UTC, and every list names the zone."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment, AppointmentEvent, TimeOff, WorkingHours
from tests.factories import ResourceFactory, ServiceAccountFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:scheduling_appointment_changelist")


@pytest.fixture
def berlin_site():
    return ServiceAccountFactory(name="Berlin depot", time_zone="Europe/Berlin")


@pytest.fixture
def berlin_tech(berlin_site):
    tech = ResourceFactory(territories=[berlin_site.territory], time_zone="Europe/Berlin")
    WorkingHours.objects.filter(resource=tech).delete()  # the form below has no hours rows
    return tech


def visit(site, resource, service_type, start: datetime) -> Appointment:
    return Appointment.objects.create(
        service_account=site,
        product=service_type.products.get(),
        service_type=service_type,
        resource=resource,
        start=start,
        end=start + service_type.duration,
    )


def test_the_list_shows_each_visit_on_its_sites_clock(
    admin_client, berlin_site, berlin_tech, repair
):
    visit(berlin_site, berlin_tech, repair, datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    visit(berlin_site, berlin_tech, repair, datetime(2027, 7, 12, 8, 0, tzinfo=UTC))
    # The night the clocks go forward: 01:30 UTC is 03:30 CEST, an hour after 01:30 CET.
    visit(berlin_site, berlin_tech, repair, datetime(2027, 3, 28, 1, 30, tzinfo=UTC))
    istanbul = ServiceAccountFactory(territory=berlin_site.territory, time_zone="Europe/Istanbul")
    visit(istanbul, berlin_tech, repair, datetime(2027, 1, 12, 9, 0, tzinfo=UTC))

    html = admin_client.get(CHANGELIST).content.decode()

    assert "Mon 2027-01-11 10:00 CET" in html
    assert "Mon 2027-07-12 10:00 CEST" in html
    assert "Sun 2027-03-28 03:30 CEST" in html
    assert "Tue 2027-01-12 12:00 Europe/Istanbul" in html
    assert "09:00" not in html and "08:00" not in html  # no UTC column beside them


def test_the_change_page_shows_the_visit_and_its_history_on_the_sites_clock(
    admin_client, berlin_site, berlin_tech, repair
):
    appointment = visit(berlin_site, berlin_tech, repair, datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    AppointmentEvent.objects.create(
        appointment=appointment,
        kind=AppointmentEvent.Kind.BOOKED,
        at=datetime(2027, 1, 4, 15, 45, tzinfo=UTC),
        to_start=appointment.start,
    )

    response = admin_client.get(
        reverse("admin:scheduling_appointment_change", args=[appointment.pk])
    )

    html = response.content.decode()
    assert "Times in Europe/Berlin, the site&#x27;s zone." in html
    assert "Mon 2027-01-11 10:00 CET" in html  # start
    assert "Mon 2027-01-11 11:00 CET" in html  # end
    assert "Jan. 4, 2027, 4:45 p.m." in html  # the history's "at", in Berlin
    assert "Booked at Mon 2027-01-04 16:45 CET" in html
    # The zone was the page's only: the next request on this thread starts in UTC again.
    assert timezone.get_current_timezone_name() == "UTC"


def resource_form(tech, *time_off: tuple[str, str, str, str]) -> dict:
    """The technician's change form with new time off rows (start day, time, end day, time)."""
    data = {
        "user": tech.user_id,
        "territories": [t.pk for t in tech.territories.all()],
        "home_address": "",
        "home_latitude": tech.home_latitude,
        "home_longitude": tech.home_longitude,
        "time_zone": tech.time_zone,
        "active": "on",
        "hours-TOTAL_FORMS": "0",
        "hours-INITIAL_FORMS": "0",
        "time_off-TOTAL_FORMS": str(len(time_off)),
        "time_off-INITIAL_FORMS": "0",
    }
    for i, (start_day, start_time, end_day, end_time) in enumerate(time_off):
        data |= {
            f"time_off-{i}-start_0": start_day,
            f"time_off-{i}-start_1": start_time,
            f"time_off-{i}-end_0": end_day,
            f"time_off-{i}-end_1": end_time,
            f"time_off-{i}-reason": "Training",
        }
    return data


def test_time_off_entered_on_the_technicians_clock_is_stored_as_that_instant(
    admin_client, berlin_tech
):
    url = reverse("admin:scheduling_resource_change", args=[berlin_tech.pk])
    winter = ("2027-01-11", "10:00", "2027-01-11", "12:00")
    summer = ("2027-07-12", "10:00", "2027-07-12", "12:00")

    response = admin_client.post(url, resource_form(berlin_tech, winter, summer))

    assert response.status_code == 302, response.context["errors"]
    stored = [(t.start, t.end) for t in TimeOff.objects.order_by("start")]
    assert stored == [
        (datetime(2027, 1, 11, 9, 0, tzinfo=UTC), datetime(2027, 1, 11, 11, 0, tzinfo=UTC)),
        (datetime(2027, 7, 12, 8, 0, tzinfo=UTC), datetime(2027, 7, 12, 10, 0, tzinfo=UTC)),
    ]


def test_the_time_off_form_shows_and_names_the_technicians_zone(admin_client, berlin_tech):
    start = datetime(2027, 7, 12, 8, 0, tzinfo=UTC)
    TimeOff.objects.create(resource=berlin_tech, start=start, end=start + timedelta(hours=2))

    html = admin_client.get(
        reverse("admin:scheduling_resource_change", args=[berlin_tech.pk])
    ).content.decode()

    assert 'name="time_off-0-start_1" value="10:00:00"' in html
    assert "Europe/Berlin time." in html
    assert "Times in Europe/Berlin, the technician&#x27;s zone" in html


def test_without_a_row_the_portals_default_zone_applies_and_is_named(admin_client, settings):
    settings.PORTAL_DEFAULT_TIME_ZONE = "America/New_York"

    html = admin_client.get(reverse("admin:scheduling_resource_add")).content.decode()
    listing = admin_client.get(CHANGELIST).content.decode()

    assert "Times in America/New_York, the portal&#x27;s default zone." in html
    assert "The date filter uses America/New_York" in listing


def test_the_change_history_is_on_the_rows_clock(admin_client, berlin_tech, dispatcher):
    LogEntry.objects.create(
        user=dispatcher,
        content_type=ContentType.objects.get_for_model(berlin_tech),
        object_id=str(berlin_tech.pk),
        object_repr=str(berlin_tech),
        action_flag=CHANGE,
        action_time=datetime(2027, 1, 11, 9, 0, tzinfo=UTC),
    )

    html = admin_client.get(
        reverse("admin:scheduling_resource_history", args=[berlin_tech.pk])
    ).content.decode()

    assert "Jan. 11, 2027, 10 a.m." in html
    assert "Times in Europe/Berlin, the technician&#x27;s zone" in html
