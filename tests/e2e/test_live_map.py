"""The live map in headless Chromium: the marker and the ETA move without a reload as new
positions arrive (through tracking.positions, as the ingest worker moves them), the polite
live region speaks only when the ETA moves by a minute, polling pauses while the tab is
hidden and stops when the visit is no longer Traveling; axe finds nothing serious; the
dispatchers' map shows the day's technicians. Tiles come from a stand-in on loopback.

The page's timers run on Playwright's clock, moved by hand: a refresh happens when the test
says so, never by waiting."""

import contextlib
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from scheduling.models import Appointment
from scheduling.services import transition
from tests.e2e.conftest import PHONE, assert_accessible
from tests.support.livemap import north_of, report, start_travel
from tests.support.mfa import sign_in_with_totp
from tests.support.ports import free_port
from tests.support.tiles import TileStandIn

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
POLL_MS = 15_000  # MAP_POLL_SECONDS' default


@pytest.fixture(scope="module")
def tiles():
    server = TileStandIn()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def tile_settings(settings, tiles):
    """Tiles from the stand-in, allowed for images by the policy as MAP_TILE_URL's host is."""
    settings.MAP_TILE_URL = tiles.url
    settings.MAP_TILE_ATTRIBUTION = "Map tiles: the tests' stand-in"
    policy = django_settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**policy, "img-src": [policy["img-src"][0], tiles.origin]}
    }


@pytest.fixture
def traveling(clock, account, alice, technician, repair):
    """Alice's visit this morning; Terry has set off."""
    start = clock.now + timedelta(hours=1)
    visit = Appointment.objects.create(
        service_account=account, customer=alice, product=repair.products.first(),
        service_type=repair, resource=technician, start=start, end=start + timedelta(hours=1),
    )  # fmt: skip
    return start_travel(visit)


def sign_in(context, live_server, user) -> None:
    """The session cookie of a signed-in test client, handed to the browser; staff's with the
    second factor admin asks for."""
    client = Client()
    if user.is_staff:
        sign_in_with_totp(client, user)
    else:
        client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )


def open_paused(page, url: str, clock) -> None:
    """Open `url` with the page's timers stopped at the pinned instant: they fire when
    `refresh` moves them on."""
    page.clock.install(time=clock.now - timedelta(seconds=1))
    page.clock.pause_at(clock.now)
    page.goto(url)


@contextlib.contextmanager
def clock_running(page):
    """Let the page's clock run for a while (axe and Leaflet's tile loading wait on timers
    of their own), then stop it again a moment later."""
    page.clock.resume()
    yield
    page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 0.25, UTC))


def looks_accessible(page) -> None:
    with clock_running(page):
        assert_accessible(page)


def is_refresh(response) -> bool:
    return response.url.endswith("/state/")


def refresh(page) -> dict:
    """Move the page's clock to its next refresh and wait for the answer."""
    with page.expect_response(is_refresh) as answer:
        page.clock.run_for(POLL_MS)
    return answer.value.json()


def test_the_marker_and_the_eta_move_without_a_reload(
    page, context, live_server, traveling, technician, account, alice, clock
):
    site = account.point
    report(technician, north_of(site, 10), age=timedelta(seconds=30))
    sign_in(context, live_server, alice)
    open_paused(page, live_server.url + reverse("tracking:live_map", args=[traveling.pk]), clock)

    marker = page.locator(".tech-marker")
    live = page.locator("#live-announcement")
    expect(marker).to_be_visible()
    expect(marker).to_have_attribute(
        "aria-label", "Terry, about 10 km from your site (approximate position)"
    )
    expect(marker).to_have_attribute("tabindex", "0")
    expect(page.locator(".leaflet-marker-icon[alt^='Your site: ']")).to_be_visible()
    expect(live).to_have_text("Terry is about 15 minutes away, arriving around 9:15 AM PDT.")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(page.locator("#live-age")).to_have_text("Updated 30 s ago")
    expect(page.locator(".nojs-only")).to_be_hidden()
    # Count every change to the live region, and mark this document: a reload would lose both.
    page.evaluate("""() => {
        window.liveChanges = 0;
        new MutationObserver(() => window.liveChanges++).observe(
            document.getElementById("live-announcement"),
            {childList: true, characterData: true, subtree: true});
    }""")
    before = marker.bounding_box()
    looks_accessible(page)

    # A little closer: the same minutes, so the live region keeps its words; the age moves.
    report(technician, north_of(site, 9.9), age=timedelta(seconds=10))
    assert refresh(page)["minutes"] == 15
    expect(page.locator("#live-age")).to_have_text("Updated 10 s ago")
    assert page.evaluate("window.liveChanges") == 0

    # Near: the exact position, fewer minutes, the marker moves and the region speaks once.
    report(technician, north_of(site, 1.5), age=timedelta(seconds=5))
    assert refresh(page)["minutes"] == 3
    expect(live).to_have_text("Terry is about 3 minutes away, arriving around 9:03 AM PDT.")
    expect(marker).to_have_attribute("aria-label", "Terry, about 1.5 km from your site")
    expect(page.locator("#live-approximate")).to_be_hidden()
    after = marker.bounding_box()
    assert (after["x"], after["y"]) != (before["x"], before["y"])
    assert page.evaluate("window.liveChanges") == 1
    assert page.locator(".leaflet-container").count() == 1  # the same map, moved marker
    _screenshot(page)

    # Keyboard: the marker takes the focus and Enter opens its text.
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".leaflet-popup-content")).to_have_text(
        "Terry, about 1.5 km from your site"
    )
    looks_accessible(page)

    # Hidden tab: no refresh however long; visible again: one at once.
    requests = []
    page.on("request", lambda request: is_refresh(request) and requests.append(request.url))
    _set_hidden(page, True)
    page.clock.run_for(4 * POLL_MS)
    assert requests == []
    with page.expect_response(is_refresh):
        _set_hidden(page, False)

    # Arrived: the panel says so, the map goes, and the polling stops.
    transition(appointment=traveling, to="in_progress", by=technician.user)
    assert refresh(page)["state"] == "arrived"
    expect(page.locator("#live-headline")).to_have_text("Terry has arrived")
    expect(live).to_have_text("Terry has arrived; the visit is under way.")
    expect(page.locator("#live-map")).to_be_hidden()
    requests.clear()
    page.clock.run_for(4 * POLL_MS)
    assert requests == []
    assert page.evaluate("window.liveChanges") == 2


def test_a_stale_position_is_greyed_and_an_old_one_hidden(
    page, context, live_server, traveling, technician, account, alice, clock
):
    report(technician, north_of(account.point, 3), age=timedelta(minutes=4))
    sign_in(context, live_server, alice)
    open_paused(page, live_server.url + reverse("tracking:live_map", args=[traveling.pk]), clock)
    expect(page.locator(".tech-marker.is-stale")).to_be_visible()
    expect(page.locator("#live-age")).to_have_text("Updated 4 min ago")

    # Nothing newer for seven more minutes: the marker goes and the panel says why.
    with time_machine.travel(clock.now + timedelta(minutes=7), tick=False):
        assert refresh(page)["freshness"] == "unavailable"
    expect(page.locator(".tech-marker")).to_have_count(0)
    expect(page.locator("#live-announcement")).to_have_text(
        "Terry’s location is unavailable right now."
    )
    expect(page.locator("#live-age")).to_have_text("Updated 11 min ago")
    looks_accessible(page)


def test_without_a_tile_server_the_markers_and_the_panel_still_show(
    page, context, live_server, traveling, technician, account, alice, settings
):
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings.MAP_TILE_URL = nowhere + "/{z}/{x}/{y}.png"
    policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**policy, "img-src": [policy["img-src"][0], nowhere]}
    }
    report(technician, north_of(account.point, 1))
    sign_in(context, live_server, alice)
    page.goto(live_server.url + reverse("tracking:live_map", args=[traveling.pk]))
    expect(page.locator(".tech-marker")).to_be_visible()
    expect(page.locator(".leaflet-marker-icon[alt^='Your site: ']")).to_be_visible()
    expect(page.locator("#live-announcement")).to_contain_text("Terry is about 2 minutes away")


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_on_a_phone_without_javascript_the_panel_and_a_refresh_link(
    browser, viewport, live_server, traveling, technician, account, alice
):
    report(technician, north_of(account.point, 5))
    context = browser.new_context(viewport=viewport, java_script_enabled=False)
    try:
        sign_in(context, live_server, alice)
        page = context.new_page()
        page.goto(live_server.url + reverse("tracking:live_map", args=[traveling.pk]))
        expect(page.locator("#live-announcement")).to_contain_text("Terry is about 8 minutes away")
        expect(page.locator("#live-map")).to_be_hidden()
        page.get_by_role("link", name="Refresh").click()
        expect(page.locator("#live-headline")).to_have_text("Terry is on the way")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def test_the_dispatchers_map_shows_the_day_s_technicians(
    page, context, live_server, traveling, technician, account, dispatcher, clock
):
    report(technician, north_of(account.point, 10), age=timedelta(seconds=30))
    sign_in(context, live_server, dispatcher)
    open_paused(page, live_server.url + reverse("admin:tracking_dispatchmap_changelist"), clock)
    marker = page.locator(".tech-marker")
    expect(marker).to_have_text("TT")
    expect(marker).to_have_attribute(
        "aria-label",
        f"Terry Tech: Traveling to {account}. Updated 30 s ago. About 15 min, around 9:15 AM PDT.",
    )
    expect(page.locator("#dispatch-rows")).to_contain_text("About 15 min, around 9:15 AM PDT")
    before = marker.bounding_box()

    report(technician, north_of(account.point, 4), age=timedelta(seconds=5))
    refresh(page)
    expect(page.locator("#dispatch-rows")).to_contain_text("About 6 min, around 9:06 AM PDT")
    assert marker.bounding_box() != before
    looks_accessible(page)


def _set_hidden(page, hidden: bool) -> None:
    """As when the customer switches tabs or locks the phone."""
    page.evaluate(
        """hidden => {
            Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
            Object.defineProperty(document, "visibilityState",
                {configurable: true, get: () => hidden ? "hidden" : "visible"});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


def _screenshot(page) -> None:
    """The README's picture: written under var/, and to docs/ with UPDATE_SCREENSHOTS=1."""
    shot = ROOT / "var" / "screenshots" / "live-map.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    with clock_running(page):
        page.wait_for_function(
            "() => [...document.querySelectorAll('.leaflet-tile')]"
            ".every(tile => tile.classList.contains('leaflet-tile-loaded'))"
        )
        page.screenshot(path=shot)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, ROOT / "docs" / "screenshots" / "live-map.png")
