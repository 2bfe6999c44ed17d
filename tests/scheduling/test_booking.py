"""Booking on PostgreSQL: the resource choice, the rules, the history and the mail."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from portal.models import OutboxMessage
from scheduling import services
from scheduling.models import Appointment, AppointmentEvent, SchedulingSettings
from tests.factories import (
    CharacteristicFactory,
    ResourceFactory,
    ServiceTypeFactory,
    TerritoryFactory,
)
from tests.support.clock import LA, next_weekday_at
from tests.support.mail import body, calendar

pytestmark = pytest.mark.django_db

PIKE_PLACE = (47.6097, -122.3422)  # 1.3 km from the customer
BELLEVUE = (47.6101, -122.2015)  # 11 km
TACOMA = (47.2529, -122.4443)  # 41 km


def tech(account, where, **kwargs):
    kwargs.setdefault("territories", [account.territory])
    return ResourceFactory(home_latitude=where[0], home_longitude=where[1], **kwargs)


def book(account, customer, service_type, start, **kwargs):
    return services.book(
        account=account,
        customer=customer,
        product=service_type.products.first(),
        service_type=service_type,
        start=start,
        **kwargs,
    )


def test_the_nearest_free_resource_is_booked(account, alice, repair):
    tech(account, TACOMA)
    near = tech(account, PIKE_PLACE)
    tech(account, BELLEVUE)
    start = next_weekday_at("10:00")

    appointment = book(account, alice, repair, start, comments="Side door, please")

    assert appointment.resource == near
    assert appointment.status == Appointment.Status.SCHEDULED
    assert (appointment.start, appointment.end) == (start, start + timedelta(hours=1))
    assert appointment.travel_distance_km == pytest.approx(1.3, abs=0.1)
    assert appointment.comments == "Side door, please"
    [event] = appointment.events.all()
    assert (event.kind, event.to_status, event.by) == ("booked", "scheduled", alice)


def test_travel_counts_from_the_previous_stop_of_the_day(account, alice, repair):
    far_home = tech(account, TACOMA)
    near_home = tech(account, PIKE_PLACE)
    first = book(account, alice, repair, next_weekday_at("09:00"))
    assert first.resource == near_home
    # The far technician gets a visit at this very site earlier that day...
    Appointment.objects.create(
        service_account=account, customer=alice, product=first.product, service_type=repair,
        resource=far_home, start=next_weekday_at("11:00"), end=next_weekday_at("12:00"),
    )  # fmt: skip
    # ...so for 12:00 it is 0 km away, nearer than the other one's previous stop.
    second = book(account, alice, repair, next_weekday_at("12:00"))
    assert second.resource == far_home
    assert second.travel_distance_km == 0


def test_ties_go_to_fewer_appointments_that_day_then_the_lowest_id(account, alice, repair):
    a = tech(account, PIKE_PLACE)
    b = tech(account, PIKE_PLACE)
    assert book(account, alice, repair, next_weekday_at("14:00")).resource == a
    # Both are the same distance from the site; b has no appointment that day yet.
    assert book(account, alice, repair, next_weekday_at("10:00")).resource == b


def test_only_resources_serving_the_territory_with_the_skills_are_booked(account, alice, heat_pump):
    hvac = CharacteristicFactory(name="HVAC certified")
    gas = CharacteristicFactory(name="Gas safe")
    maintenance = ServiceTypeFactory(products=[heat_pump], requires=[hvac, gas])
    tech(account, PIKE_PLACE, skills=[hvac])  # lacks gas
    tech(account, PIKE_PLACE, skills=[hvac, gas], territories=[TerritoryFactory(name="Elsewhere")])
    qualified = tech(account, TACOMA, skills=[hvac, gas])
    inactive = tech(account, PIKE_PLACE, skills=[hvac, gas])
    inactive.active = False
    inactive.save()

    assert book(account, alice, maintenance, next_weekday_at("10:00")).resource == qualified


def test_a_taken_slot_goes_to_the_next_resource_then_is_refused(account, alice, repair):
    tech(account, PIKE_PLACE)
    tech(account, BELLEVUE)
    start = next_weekday_at("10:00")
    book(account, alice, repair, start)
    book(account, alice, repair, start)

    with pytest.raises(services.SlotTaken, match="That time was just taken"):
        book(account, alice, repair, start)
    assert Appointment.objects.count() == 2


def test_the_same_form_twice_makes_one_appointment(account, alice, repair):
    tech(account, PIKE_PLACE)
    tech(account, BELLEVUE)
    token = uuid.uuid4()
    first = book(account, alice, repair, next_weekday_at("10:00"), token=token)
    again = book(account, alice, repair, next_weekday_at("10:00"), token=token)
    assert again == first
    assert Appointment.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (lambda: next_weekday_at("10:10"), "pick one of the offered times"),
        (lambda: next_weekday_at("10:00", weeks=6), "beyond how far ahead"),
    ],
)
def test_starts_that_were_never_offered_are_refused(account, alice, repair, when, message):
    tech(account, PIKE_PLACE)
    with pytest.raises(services.SchedulingError, match=message):
        book(account, alice, repair, when())
    assert not Appointment.objects.exists()


def test_a_start_inside_the_minimum_notice_is_refused(account, alice, repair):
    tech(account, PIKE_PLACE)
    start = next_weekday_at("10:00")
    with pytest.raises(services.SchedulingError, match="too soon"):
        book(account, alice, repair, start, now=start - timedelta(minutes=90))


def test_service_types_not_bookable_online_or_for_another_product_are_refused(
    account, alice, repair, heat_pump
):
    tech(account, PIKE_PLACE)
    hidden = ServiceTypeFactory(products=[heat_pump], bookable_on_portal=False)
    with pytest.raises(services.SchedulingError, match="cannot be booked online"):
        book(account, alice, hidden, next_weekday_at("10:00"))
    other = ServiceTypeFactory(name="EV survey")
    with pytest.raises(services.SchedulingError, match="not offered for Heat pump"):
        services.book(
            account=account, customer=alice, product=heat_pump, service_type=other,
            start=next_weekday_at("10:00"),
        )  # fmt: skip


def test_a_site_without_a_location_cannot_be_booked(account, alice, repair):
    tech(account, PIKE_PLACE)
    account.latitude = account.longitude = None
    account.save()
    with pytest.raises(services.SchedulingError, match="confirmed where your site is"):
        book(account, alice, repair, next_weekday_at("10:00"))


def test_the_maximum_travel_radius_keeps_far_technicians_out(account, alice, repair):
    settings = SchedulingSettings.current()
    settings.max_travel_km = 20
    settings.save()
    tech(account, TACOMA)
    with pytest.raises(services.TimeNotAvailable):
        book(account, alice, repair, next_weekday_at("10:00"))


def test_the_confirmation_mail_carries_an_ics_in_the_customer_time_zone(account, alice, repair):
    tech(account, PIKE_PLACE)
    alice.time_zone = "America/New_York"
    alice.save()
    appointment = book(account, alice, repair, next_weekday_at("10:00"))

    mail = OutboxMessage.objects.get()
    assert mail.to == alice.email
    assert mail.subject == "Your service visit is booked"
    assert "1:00 PM" in body(mail)  # 10:00 in Seattle is 13:00 in New York
    cal = calendar(mail)
    [event] = cal.walk("VEVENT")
    assert cal["METHOD"] == "REQUEST"
    assert event["UID"].startswith(f"appointment-{appointment.pk}@")
    assert event.decoded("DTSTART") == appointment.start
    assert str(event.decoded("DTSTART").tzinfo) == "America/New_York"
    assert str(event["ORGANIZER"]) == "mailto:portal@localhost"
    assert str(event["ATTENDEE"]) == f"mailto:{alice.email}"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"


def test_the_database_refuses_overlapping_active_appointments(account, alice, repair):
    resource = tech(account, PIKE_PLACE)
    first = book(account, alice, repair, next_weekday_at("10:00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            service_account=account, customer=alice, product=first.product, service_type=repair,
            resource=resource, start=first.start + timedelta(minutes=30),
            end=first.end + timedelta(minutes=30),
        )  # fmt: skip
    # A canceled one does not hold the time.
    first.status = Appointment.Status.CANCELED
    first.save()
    Appointment.objects.create(
        service_account=account, customer=alice, product=first.product, service_type=repair,
        resource=resource, start=first.start, end=first.end,
    )  # fmt: skip
    assert AppointmentEvent.objects.count() == 1
    assert first.start.astimezone(LA).hour == 10
