"""The technicians' web app (/tech/) in headless Chromium on a phone-sized screen, with the
phone's location emulated: pairing (typed, and by the QR image's link), the day's visits,
status buttons, sharing the location while Traveling (through the real ingest worker), the
browser's queue when the portal says "later", and what the customer sees meanwhile."""

import contextlib
import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from geopy.distance import geodesic
from playwright.sync_api import expect

from scheduling import services
from scheduling.models import Appointment
from tests.conftest import wait_for
from tests.e2e.conftest import PHONE, assert_accessible, tab_and_type, tab_to
from tests.factories import PASSWORD
from tracking import devices, positions
from tracking.models import Device, Ping

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

Status = Appointment.Status
SITE = (47.6205, -122.3493)  # Alice's site, 400 Broad St (tests.factories)
FAR = {"latitude": 47.6687, "longitude": -122.3847, "accuracy": 12}  # Ballard, 6 km away
NEAR = {"latitude": 47.6290, "longitude": -122.3560, "accuracy": 8}  # 1 km away


@pytest.fixture
def viewport():
    return PHONE


@pytest.fixture
def context_options():
    """Seattle's time zone, and the phone's location allowed, 6 km from Alice's site."""
    return {
        "timezone_id": "America/Los_Angeles",
        "permissions": ["geolocation"],
        "geolocation": FAR,
    }


@pytest.fixture
def visit(account, alice, technician, repair) -> Appointment:
    """Terry's visit to Alice that began ten minutes ago: on today's list whatever the clock
    (the API lists the visits that overlap the day)."""
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=10)
    return Appointment.objects.create(
        service_account=account, customer=alice, product=repair.products.first(),
        service_type=repair, resource=technician, start=start, end=start + timedelta(hours=1),
    )  # fmt: skip


@pytest.fixture
def pairing_code(technician, dispatcher) -> str:
    """A code for Terry's phone, as admin shows it after the device is added."""
    device = Device.objects.create(resource=technician, name="Terry's phone", created_by=dispatcher)
    return devices.make_pairing_code(device=device)


@pytest.fixture
def pinned_browser(context, clock):
    """The browser's clock on the tests' pinned instant (for tests without the worker), so
    that its "today" is the portal's."""
    context.clock.set_fixed_time(clock.now)


def tech_url(live_server, code: str | None = None) -> str:
    return live_server.url + reverse("tech:home") + (f"?code={code}" if code else "")


def visit_card(page):
    return page.locator("li.visit", has_text="Repair visit")


def from_site(latitude: float, longitude: float) -> float:
    return geodesic((latitude, longitude), SITE).m


def waiting_on(page, predicate, *, timeout: float = 30.0):
    """wait_for, letting Playwright work meanwhile: its sync API runs a test's route handlers
    only while the test is inside one of its calls."""
    deadline = time.monotonic() + timeout
    while not (result := predicate()) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return result


def stored(device: Device) -> int:
    return Ping.objects.filter(device=device).count()


def pair_by_link(page, live_server, code: str) -> None:
    page.goto(tech_url(live_server, code))
    expect(page.get_by_text("Paired as Terry Tech (Terry's phone).")).to_be_visible()


@contextlib.contextmanager
def customers_map(page, live_server, visit):
    """Alice, signed in in a browser of her own, on the visit's live map."""
    customer = page.context.browser.new_context(viewport=PHONE, locale="en-US")
    try:
        map_page = customer.new_page()
        map_page.goto(live_server.url + reverse("account_login"))
        map_page.get_by_label("Email").fill("alice@example.com")
        map_page.get_by_label("Password").fill(PASSWORD)
        map_page.get_by_role("button", name="Sign in").click()
        expect(map_page.get_by_role("heading", name="Hello, Alice")).to_be_visible()
        map_page.goto(live_server.url + reverse("tracking:live_map", args=[visit.pk]))
        yield map_page
    finally:
        customer.close()


def start_travel(page) -> None:
    card = visit_card(page)
    tab_to(page, card.get_by_role("button", name="Start travel"))
    page.keyboard.press("Enter")
    expect(card.locator(".visit-status")).to_have_text("Status: Traveling")
    expect(page.locator("#sharing-state")).to_have_text("Sharing your location")


@pytest.mark.worker
def test_pair_start_travel_and_share_the_location_by_keyboard(
    page, context, live_server, ingest_worker, visit, technician, pairing_code
):
    page.goto(tech_url(live_server))
    expect(page.get_by_role("heading", name="Pair this phone")).to_be_visible()
    assert_accessible(page)
    # Typed as people type it: lower case, no dash.
    tab_and_type(page, page.get_by_label("Pairing code"), pairing_code.lower().replace("-", ""))
    page.keyboard.press("Enter")

    expect(page.get_by_text("Paired as Terry Tech (Terry's phone).")).to_be_visible()
    device = Device.objects.get()
    token = page.evaluate("JSON.parse(localStorage.getItem('tech.token'))")
    assert devices.authenticate(token) == device  # the token lives in the browser
    card = visit_card(page)
    expect(card.locator(".visit-status")).to_have_text("Status: Scheduled")
    expect(card).to_contain_text("400 Broad St, Seattle")
    expect(card).to_contain_text("Customer: Alice")
    expect(page.locator("#sharing-state")).to_have_text(
        "Not shared: you are not traveling to a visit."
    )

    start_travel(page)
    visit.refresh_from_db()
    assert visit.status == Status.TRAVELING
    assert_accessible(page)

    # The trip's first point goes at once; the ingest worker stores it and moves the latest
    # position there.
    assert wait_for(lambda: stored(device) == 1), stored(device)
    first = wait_for(lambda: positions.latest(technician.pk))
    assert (first.latitude, first.longitude) == (FAR["latitude"], FAR["longitude"])

    # The portal is busy (503, Retry-After: 1) for the next batch: the page keeps its points
    # and sends them again, with the same ids, a second later.
    refused: list[dict] = []

    def busy_once(route):
        if refused:
            route.continue_()
        else:
            refused.extend(route.request.post_data_json["pings"])
            route.fulfill(status=503, headers={"Retry-After": "1"}, json={"detail": "busy"})

    page.route("**/api/tech/v1/locations", busy_once)
    context.set_geolocation(NEAR)
    assert waiting_on(page, lambda: refused), "no batch came after the move"
    ids = [point["id"] for point in refused]
    assert waiting_on(page, lambda: Ping.objects.filter(point_id__in=ids).count() == len(ids))
    assert stored(device) == 1 + len(ids)  # each point once
    latest = wait_for(
        lambda: (p := positions.latest(technician.pk)) and p.latitude == NEAR["latitude"] and p
    )
    assert from_site(latest.latitude, latest.longitude) < from_site(first.latitude, first.longitude)
    assert latest.recorded_at > first.recorded_at

    # Offline, points wait in the browser and go when the phone is back online.
    page.unroute("**/api/tech/v1/locations")
    context.set_offline(True)
    context.set_geolocation({**NEAR, "latitude": 47.6250})
    expect(page.locator("#sharing-detail")).to_contain_text(
        "1 point(s) waiting: no connection", timeout=30_000
    )
    waiting = page.evaluate("JSON.parse(localStorage.getItem('tech.queue'))")
    context.set_offline(False)
    assert wait_for(lambda: Ping.objects.filter(point_id=waiting[0]["id"]).exists())

    # Meanwhile the visit is Traveling and its customer's live map opens (what the map shows
    # is the next test's).
    visit.refresh_from_db()
    assert visit.status == Status.TRAVELING
    with customers_map(page, live_server, visit) as map_page:
        expect(map_page.get_by_role("heading", name="Live map")).to_be_visible()

    # Stop sharing, then arrive: the page says so, and the visit is In Progress.
    tab_to(page, page.get_by_role("button", name="Stop sharing my location"))
    page.keyboard.press("Enter")
    expect(page.locator("#sharing-state")).to_have_text(
        "Not sharing your location: you stopped it."
    )
    expect(page.get_by_role("button", name="Share my location")).to_be_focused()
    tab_to(page, visit_card(page).get_by_role("button", name="Arrived"))
    page.keyboard.press("Enter")
    expect(visit_card(page).locator(".visit-status")).to_have_text("Status: In Progress")
    expect(page.locator("#sharing-state")).to_have_text(
        "Not shared: you are not traveling to a visit."
    )
    visit.refresh_from_db()
    assert visit.status == Status.IN_PROGRESS
    assert_accessible(page)


@pytest.mark.worker
def test_the_customers_map_follows_the_technician_without_a_reload(
    page, context, live_server, ingest_worker, visit, technician, pairing_code
):
    pair_by_link(page, live_server, pairing_code)
    start_travel(page)
    assert wait_for(lambda: positions.latest(technician.pk))

    with customers_map(page, live_server, visit) as map_page:
        # As livemap's branch builds it: the ETA in a polite live region, the marker a
        # labelled badge.
        eta = map_page.locator("#live-announcement")
        marker = map_page.locator(".tech-marker")
        expect(eta).to_have_text(re.compile(r"^Terry is about \d+ minutes away"))
        expect(marker).to_have_attribute("aria-label", re.compile(r"^Terry, about .* km from"))
        far_eta, far_box = eta.inner_text(), marker.bounding_box()
        map_page.evaluate("window.notReloaded = true")

        context.set_geolocation(NEAR)  # 6 km away, coarse; then 1 km away, exact
        expect(eta).not_to_have_text(far_eta, timeout=60_000)
        assert marker.bounding_box() != far_box
        assert map_page.evaluate("window.notReloaded === true"), "the map page reloaded"
        assert_accessible(map_page)


@pytest.mark.usefixtures("pinned_browser")
def test_the_qr_link_pairs_the_phone_and_leaves_no_code_behind(
    page, live_server, pairing_code, visit
):
    pair_by_link(page, live_server, pairing_code)

    assert page.url == tech_url(live_server)  # not in the history, not for a reload
    page.reload()
    expect(page.get_by_text("Paired as Terry Tech (Terry's phone).")).to_be_visible()
    expect(visit_card(page).locator(".visit-status")).to_have_text("Status: Scheduled")
    assert_accessible(page)


@pytest.mark.usefixtures("pinned_browser")
def test_a_used_code_says_so_and_a_wrong_one_marks_the_field(page, live_server, pairing_code):
    devices.pair(code=pairing_code)  # used by another phone first

    page.goto(tech_url(live_server, pairing_code))

    alert = page.locator("#pair-error")
    expect(alert).to_have_text(re.compile("^Not paired: That pairing code was already used."))
    expect(alert).to_be_focused()
    expect(page.get_by_label("Pairing code")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Pairing code").fill("ABCDE-FGHJK")
    page.get_by_role("button", name="Pair this phone").click()
    expect(alert).to_have_text(re.compile("^Not paired: That pairing code is not valid."))
    assert_accessible(page)


@pytest.mark.usefixtures("pinned_browser")
def test_a_status_changed_meanwhile_names_both_states(
    page, live_server, pairing_code, visit, dispatcher
):
    pair_by_link(page, live_server, pairing_code)
    expect(visit_card(page).get_by_role("button", name="Start travel")).to_be_visible()
    # Meanwhile the dispatcher moved the visit on in admin.
    for status in (Status.TRAVELING, Status.IN_PROGRESS):
        services.transition(appointment=visit, to=status, by=dispatcher)

    visit_card(page).get_by_role("button", name="Start travel").click()

    error = visit_card(page).locator(".visit-error")
    expect(error).to_have_text(
        "Not changed: this visit is In Progress now, and cannot go from In Progress to "
        "Traveling. The list shows it as it is now."
    )
    expect(error).to_be_focused()
    expect(visit_card(page).locator(".visit-status")).to_have_text("Status: In Progress")
    expect(visit_card(page).get_by_role("button", name="Completed")).to_be_visible()


@pytest.mark.usefixtures("pinned_browser")
def test_a_revoked_phone_is_asked_to_pair_again(page, live_server, pairing_code, visit):
    pair_by_link(page, live_server, pairing_code)
    devices.revoke(device=Device.objects.get())

    page.get_by_role("button", name="Refresh the list").click()

    expect(page.get_by_role("heading", name="Pair this phone")).to_be_visible()
    expect(page.locator("#pair-error")).to_contain_text("This phone is no longer paired")
    assert page.evaluate("localStorage.getItem('tech.token')") is None


def test_without_javascript_the_page_says_it_needs_it(browser, live_server):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(tech_url(live_server))
        expect(page.get_by_text("This page needs JavaScript.")).to_be_visible()
        expect(page.get_by_text("OwnTracks or Overland can share your location")).to_be_visible()
        expect(page.get_by_role("heading", name="Pair this phone")).to_be_hidden()
        expect(page.get_by_text("Loading…")).to_be_hidden()
    finally:
        context.close()
