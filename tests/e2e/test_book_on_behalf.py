"""A dispatcher of the Dispatchers group signs in to admin and books a visit for a customer by
choosing one of the offered times, in headless Chromium, by plain form posts."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portal.models import OutboxMessage
from scheduling.models import Appointment
from tests.e2e.conftest import assert_accessible
from tests.factories import PASSWORD, ServiceAccountFactory
from tests.support.clock import LA, next_weekday_at

# The Dispatchers group comes from a migration: restored for this test, since the browser
# tests' flush between tests takes it away.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sign_in_to_admin(page, live_server, user) -> None:
    page.goto(live_server.url + reverse("admin:login"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Field service")).to_be_visible()


def test_a_dispatcher_books_a_visit_for_a_customer(
    page, live_server, desk_dispatcher, alice, account, technician, repair
):
    monday = next_weekday_at("10:00")
    sign_in_to_admin(page, live_server, desk_dispatcher)
    page.goto(live_server.url + reverse("admin:scheduling_appointment_changelist"))
    page.get_by_role("link", name="Add appointment").click()
    page.get_by_label("Customer's name, email or site").fill("alice")
    page.get_by_role("button", name="Find").click()
    assert_accessible(page)
    page.get_by_role("link", name="Book a visit for Alice Doe").click()

    expect(page.get_by_role("heading", name="Book a visit for Alice Doe")).to_be_visible()
    expect(page.get_by_label("Site")).to_have_value(str(account.pk))
    page.get_by_label("What needs service?").select_option(label="Heat pump")
    page.get_by_role("button", name="Show service types").click()
    page.get_by_label("Kind of visit").select_option(label="Repair visit (1 h)")
    page.get_by_role("button", name="Show days").click()
    page.get_by_label("Day").select_option(monday.astimezone(LA).date().isoformat())
    page.get_by_role("button", name="Show times").click()

    times = page.get_by_role("group", name="Time on Monday 10 June (America/Los_Angeles)")
    expect(times.get_by_role("radio")).to_have_count(14)
    assert_accessible(page)
    times.get_by_label("10:00 AM").check()
    page.get_by_label("Comments for the technician").fill("Gate code 1234")
    page.get_by_role("button", name="Book the visit").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "Booked Repair visit for Alice Doe at Alice Anderson residence, "
        "Mon 10 Jun 2030, 10:00 AM – 11:00 AM PDT, with Terry Tech."
    )
    appointment = Appointment.objects.get()
    assert (appointment.customer, appointment.start) == (alice, monday)
    assert (appointment.resource, appointment.comments) == (technician, "Gate code 1234")
    assert OutboxMessage.objects.get().to == "alice@example.com"


def test_a_taken_time_says_so_on_the_page(
    page, live_server, desk_dispatcher, alice, account, technician, repair
):
    """The dispatcher picked a time that another booking took while the page was open."""
    monday = next_weekday_at("10:00")
    sign_in_to_admin(page, live_server, desk_dispatcher)
    day = monday.astimezone(LA).date().isoformat()
    query = f"?product={repair.products.first().pk}&service_type={repair.pk}&day={day}"
    page.goto(
        live_server.url + reverse("admin:scheduling_appointment_book", args=[alice.pk]) + query
    )
    page.get_by_label("10:00 AM").check()
    neighbour = ServiceAccountFactory(territory=account.territory)
    Appointment.objects.create(
        service_account=neighbour, customer=None, product=repair.products.first(),
        service_type=repair, resource=technician, start=monday, end=monday + repair.duration,
    )  # fmt: skip
    page.get_by_role("button", name="Book the visit").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "That time was just taken. Please pick another time."
    )
    expect(page.get_by_label("10:00 AM")).to_have_count(0)
    assert_accessible(page)
    assert Appointment.objects.count() == 1
