"""The customer's booking pages, with plain form posts and with htmx."""

import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import OutboxMessage
from scheduling import services
from scheduling.models import Appointment, SchedulingSettings
from tests.factories import (
    CharacteristicFactory,
    CustomerFactory,
    ProductFactory,
    ResourceFactory,
    ServiceTypeFactory,
)
from tests.support.booking import add_busy_technicians, booking_form
from tests.support.clock import LA, next_weekday_at

pytestmark = pytest.mark.django_db

BOOK = reverse("scheduling:book")
SLOTS = reverse("scheduling:slots")


def utc(moment) -> str:
    return moment.astimezone(ZoneInfo("UTC")).isoformat()


def _form(repair, start, **extra):
    return booking_form(repair, start, comments="Dog in the yard", **extra)


def test_choosing_a_product_offers_its_bookable_service_types(alice_client, repair):
    hidden = ServiceTypeFactory(name="Warranty inspection", bookable_on_portal=False,
                                products=[repair.products.first()])  # fmt: skip
    ServiceTypeFactory(name="EV survey", products=[ProductFactory(name="EV charger")])

    html = alice_client.get(BOOK, {"product": repair.products.first().pk}).content.decode()

    assert "Repair visit" in html
    assert hidden.name not in html and "EV survey" not in html
    assert 'name="day"' not in html  # no days before a service type


def test_the_days_show_which_have_times_and_the_chosen_day_its_slots(
    alice_client, repair, technician
):
    monday = next_weekday_at("00:00")
    saturday = monday + timedelta(days=5)
    response = alice_client.get(
        BOOK,
        {"product": repair.products.first().pk, "service_type": repair.pk,
         "day": monday.date().isoformat()},
    )  # fmt: skip
    html = response.content.decode()

    assert re.search(rf'value="{monday.date().isoformat()}"[^>]*\n?\s*checked', html)
    assert re.search(rf'value="{saturday.date().isoformat()}"[^>]*disabled', html)
    assert "No technician for this visit works on this day." in html  # the Saturday, for readers
    assert ">8:30 AM<" in html and ">3:00 PM<" in html and ">8:00 AM<" not in html


def test_a_day_click_gets_just_the_slots_partial(alice_client, repair, technician):
    monday = next_weekday_at("00:00").date()
    response = alice_client.get(
        SLOTS,
        {"service_type": repair.pk, "day": monday.isoformat()},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.count('name="start"') == 14  # 8:30 .. 15:00 every half hour


def test_the_slots_for_a_day_take_a_fixed_number_of_queries(
    alice_client, alice, repair, account, django_assert_max_num_queries
):
    monday = next_weekday_at("00:00").date()
    params = {"service_type": repair.pk, "day": monday.isoformat()}
    ResourceFactory(territories=[account.territory])
    alice_client.get(SLOTS, params)  # warm the session and settings row

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        alice_client.get(SLOTS, params)
    add_busy_technicians(account, alice, repair, next_weekday_at("09:00"))
    with CaptureQueriesContext(connection) as many:
        alice_client.get(SLOTS, params)
    assert len(many) == len(few) <= 10


def test_booking_with_a_plain_post_lands_on_the_confirmation(
    alice_client, alice, repair, technician
):
    start = next_weekday_at("10:00")
    response = alice_client.post(BOOK, _form(repair, start), follow=True)

    appointment = Appointment.objects.get()
    assert response.redirect_chain == [
        (reverse("scheduling:appointment", args=[appointment.pk]), 302)
    ]
    html = response.content.decode()
    assert "Your visit is booked." in html
    assert "10:00 AM – 11:00 AM" in html
    assert appointment.customer == alice and appointment.comments == "Dog in the yard"
    assert OutboxMessage.objects.get().subject == "Your service visit is booked"


def test_the_same_form_posted_twice_books_once(alice_client, repair, technician):
    form = _form(repair, next_weekday_at("10:00"))
    first = alice_client.post(BOOK, form)
    second = alice_client.post(BOOK, form)
    assert first["Location"] == second["Location"]
    assert Appointment.objects.count() == 1


def test_a_lost_race_says_so_and_offers_fresh_slots(alice_client, repair, technician, account):
    start = next_weekday_at("10:00")
    other = CustomerFactory(service_account=account)
    services.book(account=account, customer=other, product=repair.products.first(),
                  service_type=repair, start=start)  # fmt: skip

    # The other visit is the account's, just like this one: confirmed past that warning.
    response = alice_client.post(BOOK, _form(repair, start, confirm_similar="on"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "That time was just taken. Please pick another time." in html
    assert f'value="{utc(start)}"' not in html
    assert f'value="{utc(start + timedelta(hours=2))}"' in html  # fresh slots
    assert "Dog in the yard" in html  # nothing typed is lost


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"product": "999999"}, "Choose one of the products listed."),
        ({"service_type": "abc"}, "Choose a service type offered for this product."),
        ({"start": "tomorrow at ten"}, "Pick one of the offered times."),
        ({"start": ""}, "Pick a time for the visit."),
        ({"day": "2001-01-01"}, "Pick one of the days shown."),
        (
            {"day": "9999-12-31", "start": "9999-12-31T23:30:00-08:00"},
            "Pick one of the days shown.",
        ),
        ({"start": "0001-01-01T00:10:00+05:00"}, "Pick one of the offered times."),
    ],
)
def test_bad_booking_input_is_a_form_error(alice_client, repair, technician, change, message):
    response = alice_client.post(BOOK, _form(repair, next_weekday_at("10:00")) | change)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_service_type_of_another_product_is_refused(alice_client, repair, technician):
    other = ServiceTypeFactory(name="EV survey", products=[ProductFactory(name="EV charger")])
    response = alice_client.post(
        BOOK, _form(repair, next_weekday_at("10:00"), service_type=other.pk)
    )
    assert "Choose a service type offered for this product." in response.content.decode()
    assert not Appointment.objects.exists()


def test_no_technician_with_the_skills_says_so(alice_client, heat_pump, technician):
    gas = ServiceTypeFactory(name="Gas check", products=[heat_pump],
                             requires=[CharacteristicFactory(name="Gas safe")])  # fmt: skip
    html = alice_client.get(
        BOOK, {"product": heat_pump.pk, "service_type": gas.pk}
    ).content.decode()
    assert "No technician with the skills this visit needs serves your area." in html
    assert 'name="day"' not in html


def test_the_slots_are_in_the_customer_time_zone(alice_client, alice, repair, technician):
    alice.time_zone = "America/New_York"
    alice.save()
    monday = next_weekday_at("00:00").date()
    html = alice_client.get(
        SLOTS, {"service_type": repair.pk, "day": monday.isoformat()}
    ).content.decode()
    assert ">11:30 AM<" in html and ">6:00 PM<" in html  # 8:30-15:00 in Seattle
    assert "America/New_York" in html


def test_every_booking_page_is_for_customers_only(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get(BOOK)
    assert response.status_code == 403
    assert "not linked to a customer site" in response.content.decode()


def test_a_dst_day_offers_the_wall_clock_hours(account, repair, technician):
    # The Monday after the spring change in 2031: 8:00 PDT is 15:00 UTC, not 16:00.
    monday = timezone.datetime(2031, 3, 10).date()
    now = timezone.datetime(2031, 3, 6, 12, tzinfo=ZoneInfo("UTC"))
    calendar = services.availability(account=account, service_type=repair, days=[monday], now=now)
    starts = calendar.slots(monday).starts
    assert starts[0].astimezone(ZoneInfo("UTC")).hour == 15 and starts[0].minute == 30
    assert [s.astimezone(LA).strftime("%H:%M") for s in starts][-1] == "15:00"
    SchedulingSettings.current()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2001-01-01"])
def test_slots_for_a_day_outside_the_horizon_are_a_400(alice_client, repair, day):
    response = alice_client.get(SLOTS, {"service_type": repair.pk, "day": day})
    assert response.status_code == 400
    assert "Pick one of the days shown." in response.content.decode()


def test_a_used_form_sent_again_with_other_choices_books_nothing_new(
    alice_client, repair, technician
):
    token = str(uuid.uuid4())
    first = alice_client.post(BOOK, _form(repair, next_weekday_at("10:00"), token=token))
    assert first.status_code == 302
    # Back button, another time, same form token.
    again = alice_client.post(BOOK, _form(repair, next_weekday_at("14:00"), token=token))

    html = again.content.decode()
    assert again.status_code == 200
    assert "This booking form was already used. Please choose again." in html
    assert token not in html  # the page carries a fresh token for the next try
    assert Appointment.objects.count() == 1


def test_the_booking_page_is_never_cached(alice_client):
    assert "no-store" in alice_client.get(BOOK)["Cache-Control"]


def test_a_signed_out_htmx_request_sends_the_whole_page_to_sign_in(client, repair):
    response = client.get(
        SLOTS,
        {"service_type": repair.pk, "day": "2030-01-01"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/book/?product=1"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/book/%3Fproduct%3D1"
