"""Book, see, modify and cancel a visit in headless Chromium, with and without scripts."""

import contextlib
import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import Error, Route, expect

from portal.models import OutboxMessage
from scheduling.models import Appointment
from tests.e2e.conftest import PHONE, assert_accessible
from tests.factories import PASSWORD, ServiceTypeFactory
from tests.support.clock import LA, next_weekday_at
from tests.support.mail import calendar

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def customer(alice, technician, repair):
    """Alice, whose site one technician serves."""
    return alice


def sign_in(page, live_server):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()


def day_chip(page, moment):
    return page.locator(
        f"label.chip:has(input[value='{moment.astimezone(LA).date().isoformat()}'])"
    )


def pick_day(page, moment):
    """Click a day's chip and wait for its times: until they come, the grid still shows the
    day before, whose chips a quick click would pick."""
    day_chip(page, moment).click()
    local = moment.astimezone(LA)
    legend = f"Time on {local:%A} {local.day} {local:%B}"
    expect(page.locator("#slots legend")).to_have_text(re.compile(f"^{legend}"))


def slot_chip(page, label):
    return page.locator("#slots label.chip").filter(has=page.get_by_text(label, exact=True))


def test_book_modify_and_cancel_a_visit(page, live_server, customer, repair):
    monday, wednesday = next_weekday_at("10:00"), next_weekday_at("14:00", weekday=2)
    sign_in(page, live_server)
    page.get_by_role("link", name="Book a new appointment").click()
    expect(page.get_by_role("heading", name="Book a visit")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("What needs service?").select_option(label="Heat pump")
    page.get_by_label("Repair visit").check()
    page.evaluate("window.notReloaded = true")
    pick_day(page, monday)
    expect(slot_chip(page, "10:00 AM")).to_be_visible()
    assert page.evaluate("window.notReloaded === true"), "the day click reloaded the page"
    assert_accessible(page)
    slot_chip(page, "10:00 AM").click()
    page.get_by_label("Comments").fill("Gate code 1234")
    page.get_by_role("button", name="Book the visit").click()

    expect(page.get_by_text("Your visit is booked.")).to_be_visible()
    expect(page.get_by_text("10:00 AM – 11:00 AM")).to_be_visible()
    assert_accessible(page)
    appointment = Appointment.objects.get()
    assert (appointment.start, appointment.comments) == (monday, "Gate code 1234")

    page.get_by_role("link", name="Back to your appointments").click()
    upcoming = page.locator("article.appointment", has_text="Repair visit")
    expect(upcoming).to_contain_text("Scheduled")
    upcoming.get_by_role("link", name="Modify").click()
    expect(page.get_by_role("heading", name="Change the time")).to_be_visible()
    assert_accessible(page)
    pick_day(page, wednesday)
    slot_chip(page, "2:00 PM").click()
    page.get_by_role("button", name="Save the new time").click()
    expect(page.get_by_text("Your visit has a new time.")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.start == wednesday

    page.get_by_role("link", name="Cancel the visit").click()
    expect(page.get_by_role("heading", name="Cancel this visit?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_role("alert")).to_contain_text("Please tell us why you are canceling.")
    page.get_by_label("Why are you canceling?").fill("Fixed it myself")
    page.get_by_role("button", name="Cancel the visit").click()
    expect(page.get_by_text("Your visit is canceled.")).to_be_visible()

    expect(page.get_by_text("You have no upcoming appointments.")).to_be_visible()
    page.get_by_role("link", name="Past (1)").click()
    past = page.locator("article.appointment", has_text="Repair visit")
    expect(past).to_contain_text("Canceled")
    expect(past).to_contain_text("Fixed it myself")
    assert_accessible(page)

    confirmation = OutboxMessage.objects.get(subject="Your service visit is booked")
    [event] = calendar(confirmation).walk("VEVENT")
    assert event.decoded("DTSTART") == monday
    assert OutboxMessage.objects.filter(subject="Your service visit is canceled").exists()


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_booking_works_without_javascript_on_a_phone(browser, viewport, live_server, customer):
    context = browser.new_context(viewport=viewport, java_script_enabled=False)
    page = context.new_page()
    try:
        monday = next_weekday_at("09:00")
        sign_in(page, live_server)
        page.goto(live_server.url + reverse("scheduling:book"))
        book = live_server.url + reverse("scheduling:book")
        # Each step's answer opens at the step it came from, not at the top of the page.
        page.get_by_label("What needs service?").select_option(label="Heat pump")
        page.get_by_role("button", name="Show service types").click()
        expect(page).to_have_url(book + "#step-product")
        expect(page.locator("#step-product")).to_be_in_viewport()
        page.get_by_label("Repair visit").check()
        page.get_by_role("button", name="Show days").click()
        expect(page).to_have_url(book + "#id_service_type")
        expect(page.locator("#id_service_type")).to_be_in_viewport()
        day_chip(page, monday).click()
        page.get_by_role("button", name="Show times").click()
        expect(page).to_have_url(book + "#id_day")
        expect(page.locator("#id_day legend")).to_be_in_viewport()
        assert page.evaluate("window.scrollY") > 0
        page.get_by_role("button", name="Book the visit").click()  # no time chosen
        expect(page).to_have_url(book + "#booking-form")
        expect(page.locator(".form-errors")).to_be_in_viewport()
        slot_chip(page, "9:00 AM").click()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.get_by_role("button", name="Book the visit").click()
        expect(page.get_by_text("Your visit is booked.")).to_be_visible()
        assert Appointment.objects.get().start == monday
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def test_a_slot_taken_meanwhile_is_a_friendly_message(
    page, live_server, customer, technician, repair
):
    monday = next_weekday_at("11:00")
    sign_in(page, live_server)
    page.goto(live_server.url + reverse("scheduling:book"))
    page.get_by_label("What needs service?").select_option(label="Heat pump")
    page.get_by_label("Repair visit").check()
    pick_day(page, monday)
    slot_chip(page, "11:00 AM").click()
    # Someone else takes the only technician's 11:00 while the customer hesitates (for another
    # kind of visit: one like this would first be a similar-visit warning).
    other_kind = ServiceTypeFactory(name="Inspection", products=list(repair.products.all()))
    Appointment.objects.create(
        service_account=customer.service_account, product=repair.products.first(),
        service_type=other_kind, resource=technician,
        start=monday, end=monday + timedelta(hours=1),
    )  # fmt: skip
    page.get_by_role("button", name="Book the visit").click()
    expect(page.get_by_text("That time was just taken. Please pick another time.")).to_be_visible()
    expect(slot_chip(page, "11:00 AM")).to_have_count(0)
    expect(slot_chip(page, "1:00 PM")).to_be_visible()


def test_quick_day_changes_leave_the_last_day_times_under_it(page, live_server, customer, repair):
    """Five days picked in a row, the answers for the first four held back until the last
    one has arrived: the times shown are the last day's, whatever comes in after."""
    week = [next_weekday_at("00:00") + timedelta(days=i) for i in range(5)]  # Monday to Friday
    sign_in(page, live_server)
    page.goto(live_server.url + reverse("scheduling:book"))
    page.get_by_label("What needs service?").select_option(label="Heat pump")
    page.get_by_label("Repair visit").check()
    expect(day_chip(page, week[0])).to_be_visible()
    page.evaluate(
        """() => document.body.addEventListener("htmx:afterRequest", () => {
            const data = document.body.dataset;
            data.requestsDone = Number(data.requestsDone || 0) + 1;
        })"""
    )
    held: list[Route] = []
    last_day = f"day={week[-1].date().isoformat()}"

    def hold_all_but_the_last_day(route: Route) -> None:
        if last_day in route.request.url:
            route.continue_()
        else:
            held.append(route)

    slots_url = live_server.url + reverse("scheduling:slots")
    page.route(lambda url: url.startswith(slots_url), hold_all_but_the_last_day)
    day_chip(page, week[0]).click()
    for _ in week[1:]:
        page.keyboard.press("ArrowRight")
    legend = page.locator("#slots legend")
    expect(legend).to_contain_text(f"Time on {week[-1].astimezone(LA):%A}")
    assert len(held) == 4

    for route in held:  # the earlier days' answers now arrive, after the last day's
        with contextlib.suppress(Error):  # the page gave up on that request: nothing arrives
            route.continue_()
    expect(page.locator("body")).to_have_attribute("data-requests-done", "5")

    expect(legend).to_contain_text(f"Time on {week[-1].astimezone(LA):%A}")
    expect(page.locator("input[name=day]:checked")).to_have_value(week[-1].date().isoformat())
    offered = page.locator("#slots input[name=start]").evaluate_all("els => els.map(e => e.value)")
    assert offered
    assert {datetime.fromisoformat(v).astimezone(LA).date() for v in offered} == {week[-1].date()}
