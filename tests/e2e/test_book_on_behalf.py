"""A dispatcher of the Dispatchers group signs in to admin and books a visit for a customer by
choosing one of the offered times, in headless Chromium: with scripts (htmx shows each next
step as a choice changes) and without (a button per step)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portal.models import OutboxMessage
from scheduling.models import Appointment
from tests.e2e.conftest import PHONE, assert_accessible
from tests.factories import PASSWORD, ServiceAccountFactory
from tests.support.clock import LA, next_weekday_at
from tests.support.mfa import enrol_totp, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIMES = "Time on Monday 10 June (America/Los_Angeles)"


def sign_in_to_admin(page, live_server, user) -> None:
    """Through the sign-in form, then the authenticator app's code (the second factor admin
    asks staff for)."""
    enrol_totp(user)
    page.goto(live_server.url + reverse("admin:index"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code", exact=True).fill(totp_code())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Field service")).to_be_visible()


def test_a_dispatcher_books_a_visit_for_a_customer(
    page, live_server, desk_dispatcher, alice, account, technician, repair
):
    monday = next_weekday_at("10:00")
    assert not desk_dispatcher.is_superuser
    assert list(desk_dispatcher.groups.values_list("name", flat=True)) == ["Dispatchers"]
    sign_in_to_admin(page, live_server, desk_dispatcher)
    page.goto(live_server.url + reverse("admin:scheduling_appointment_changelist"))
    page.get_by_role("link", name="Add appointment").click()
    page.get_by_label("Customer's name, email or site").fill("alice")
    page.get_by_role("button", name="Find").click()
    assert_accessible(page)
    page.get_by_role("link", name="Book a visit for Alice Doe").click()

    expect(page.get_by_role("heading", name="Book a visit for Alice Doe")).to_be_visible()
    expect(page.get_by_label("Site")).to_have_value(str(account.pk))
    expect(page.get_by_role("button", name="Show service types")).to_be_hidden()
    page.evaluate("window.notReloaded = true")
    page.get_by_label("What needs service?").select_option(label="Heat pump")
    page.get_by_label("Kind of visit").select_option(label="Repair visit (1 h)")
    page.get_by_label("Day").focus()
    page.get_by_label("Day").select_option(monday.astimezone(LA).date().isoformat())
    times = page.get_by_role("group", name=TIMES)
    expect(times.get_by_role("radio")).to_have_count(14)
    assert page.evaluate("window.notReloaded === true"), "a choice reloaded the page"
    expect(page.get_by_label("Day")).to_be_focused()  # the swap kept the keyboard's place
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


def test_without_javascript_on_a_phone_a_taken_time_says_so(
    browser, live_server, desk_dispatcher, alice, account, technician, repair
):
    """The dispatcher picked a time that another booking took while the page was open."""
    monday = next_weekday_at("10:00")
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in_to_admin(page, live_server, desk_dispatcher)
        page.goto(live_server.url + reverse("admin:scheduling_appointment_book", args=[alice.pk]))
        page.get_by_label("What needs service?").select_option(label="Heat pump")
        page.get_by_role("button", name="Show service types").click()
        page.get_by_label("Kind of visit").select_option(label="Repair visit (1 h)")
        page.get_by_role("button", name="Show days").click()
        page.get_by_label("Day").select_option(monday.astimezone(LA).date().isoformat())
        page.get_by_role("button", name="Show times").click()
        page.get_by_role("group", name=TIMES).get_by_label("10:00 AM").check()
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
        expect(page.get_by_label("11:00 AM")).to_have_count(1)  # fresh times
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert Appointment.objects.count() == 1
    finally:
        context.close()
