"""The customer's live map and its refresh: who may see it, in which state, and how much of
the technician's position (coarse until near, greyed when stale, hidden when too old), the
page without JavaScript, the refresh's fixed number of queries and the page's policy."""

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from scheduling.models import zone_for
from scheduling.services import cancel, transition
from tests.factories import CustomerFactory
from tests.support.livemap import north_of, report, start_travel
from tracking import map_keys
from tracking.livemap import coarse

pytestmark = pytest.mark.django_db
UTC_ZONE = ZoneInfo("UTC")


def traveling_zone(appointment) -> ZoneInfo:
    return zone_for(customer=appointment.customer, account=appointment.service_account)


@pytest.fixture
def site(account):
    return account.point


@pytest.fixture
def traveling(appointment):
    return start_travel(appointment)


def page(client, appointment):
    return client.get(reverse("tracking:live_map", args=[appointment.pk]))


def key_for(appointment) -> str:
    """The refresh key the map page hands its customer's script (tracking.map_keys)."""
    return map_keys.issue(
        appointment.pk, appointment.service_account_id, traveling_zone(appointment)
    )


def refresh(client, appointment, key: str | None = None):
    key = key_for(appointment) if key is None else key
    url = reverse("tracking:live_map_state", args=[appointment.pk])
    return client.get(url, headers={"Authorization": f"Bearer {key}"} if key else {})


def state(client, appointment) -> dict:
    response = refresh(client, appointment)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def embedded_state(html: str) -> dict:
    """The first state the page hands its script (a JSON script element)."""
    found = re.search(r'<script id="live-map-state" type="application/json">(.*?)</script>', html)
    return json.loads(found[1])


# --- Who and when --------------------------------------------------------------------------


def test_another_customer_gets_404_from_the_page_and_no_key_opens_the_refresh(
    client, traveling, technician
):
    report(technician, north_of(traveling.service_account.point, 5))
    other = CustomerFactory()
    client.force_login(other)
    assert page(client, traveling).status_code == 404
    # Their own visit's key, a key made up, one changed by a letter, none: all refused.
    theirs = map_keys.issue(traveling.pk + 1, other.service_account.pk, zone_for(customer=other))
    mine = key_for(traveling)
    for key in (theirs, "made-up", mine[:-1] + ("A" if mine[-1] != "A" else "B"), ""):
        response = refresh(client, traveling, key)
        assert response.status_code == 403
        assert b"latitude" not in response.content


def test_a_key_for_another_site_finds_no_visit(client, traveling):
    forged_site = map_keys.issue(traveling.pk, CustomerFactory().service_account.pk, UTC_ZONE)
    assert refresh(client, traveling, forged_site).status_code == 404


def test_a_key_runs_out(client, traveling, settings, clock):
    key = key_for(traveling)
    settings.MAP_REFRESH_KEY_SECONDS = 3600
    with time_machine.travel(clock.now + timedelta(seconds=3601), tick=False):
        assert refresh(client, traveling, key).status_code == 403
    assert refresh(client, traveling, key).status_code == 200


def test_signed_out_the_page_sends_to_sign_in_and_an_open_map_keeps_its_key(client, traveling):
    response = page(client, traveling)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert refresh(client, traveling).status_code == 200  # until its key runs out


def test_before_travel_it_says_not_on_the_way_yet_with_no_map(
    alice_client, appointment, technician, site
):
    report(technician, north_of(site, 1))  # already reporting, but not yet on the way
    response = page(alice_client, appointment)
    html = response.content.decode()

    assert "Terry is not on the way yet." in html
    assert 'id="live-map"' not in html and "leaflet" not in html
    assert state(alice_client, appointment) | {"announcement": ""} == {
        "state": "before", "headline": "Not on the way yet", "announcement": "",
        "minutes": None, "distance": "", "age_seconds": None, "freshness": "",
        "technician": None, "site": state(alice_client, appointment)["site"],
        "name": "Terry", "initials": "", "phone": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("steps", "state_name", "says"),
    [
        (["traveling", "in_progress"], "arrived", "Terry has arrived"),
        (["traveling", "in_progress", "completed"], "over", "This visit is over."),
    ],
)
def test_after_travel_it_says_arrived_or_over_with_no_map(
    alice_client, appointment, technician, site, steps, state_name, says
):
    for step in steps:
        transition(appointment=appointment, to=step, by=technician.user)
    report(technician, north_of(site, 0.2))
    html = page(alice_client, appointment).content.decode()

    assert says in html
    assert 'id="live-map"' not in html
    refreshed = state(alice_client, appointment)
    assert refreshed["state"] == state_name
    assert refreshed["technician"] is None and refreshed["minutes"] is None


def test_a_canceled_visit_is_over(alice_client, appointment, alice):
    cancel(appointment=appointment, reason="Fixed it myself", by=alice)
    assert "This visit was canceled." in page(alice_client, appointment).content.decode()
    assert state(alice_client, appointment)["state"] == "over"


def test_turned_back_the_map_goes_back_to_not_on_the_way(alice_client, traveling, technician):
    report(technician, north_of(traveling.service_account.point, 3))
    transition(appointment=traveling, to="scheduled", by=technician.user)
    refreshed = state(alice_client, traveling)
    assert refreshed["state"] == "before" and refreshed["technician"] is None


# --- How much of the position ---------------------------------------------------------------


def test_far_away_the_position_is_coarse_and_the_distance_in_half_kilometres(
    alice_client, traveling, technician, site
):
    exact = north_of(site, 7.3)
    report(technician, exact)
    refreshed = state(alice_client, traveling)
    shown = refreshed["technician"]

    assert (shown["latitude"], shown["longitude"]) == coarse(exact) != exact
    assert shown["approximate"] is True
    assert refreshed["distance"] == "About 7.5 km from your site."
    assert "(approximate position)" in shown["label"]
    # Neither the page nor its first state holds the exact coordinates.
    html = page(alice_client, traveling).content.decode()
    assert embedded_state(html) == refreshed
    for text in (html, json.dumps(refreshed)):
        assert f"{exact[0]:.4f}" not in text and f"{exact[0]:.5f}"[:-1] not in text


def test_near_the_site_the_position_is_exact(alice_client, traveling, technician, site):
    exact = north_of(site, 1.5)
    report(technician, exact)
    shown = state(alice_client, traveling)

    assert (shown["technician"]["latitude"], shown["technician"]["longitude"]) == exact
    assert shown["technician"]["approximate"] is False
    assert shown["distance"] == "About 1.5 km from your site."


def test_the_exact_distance_is_a_setting(alice_client, traveling, technician, site, settings):
    settings.MAP_EXACT_WITHIN_KM = 0.5
    report(technician, north_of(site, 1.5))
    assert state(alice_client, traveling)["technician"]["approximate"] is True


def test_the_panel_gives_the_eta_in_the_customers_zone(alice_client, traveling, technician, site):
    report(technician, north_of(site, 10), age=timedelta(0))  # 10 km at 40 km/h: 15 min
    refreshed = state(alice_client, traveling)

    assert refreshed["minutes"] == 15
    # The pinned clock is 09:00 in Seattle, summer time.
    assert (
        refreshed["announcement"] == "Terry is about 15 minutes away, arriving around 9:15 AM PDT."
    )
    assert refreshed["freshness"] == "fresh" and refreshed["age_seconds"] == 0


def test_the_eta_uses_the_travel_speed_rule(alice_client, traveling, technician, site):
    from scheduling.models import SchedulingSettings

    SchedulingSettings.objects.create(pk=1, travel_speed_kmh=20)
    report(technician, north_of(site, 10), age=timedelta(0))
    assert state(alice_client, traveling)["minutes"] == 30


def test_older_than_two_minutes_the_position_is_stale_with_its_age(
    alice_client, traveling, technician, site
):
    report(technician, north_of(site, 1), age=timedelta(minutes=3, seconds=5))
    refreshed = state(alice_client, traveling)
    assert refreshed["freshness"] == "stale"
    assert refreshed["technician"] is not None
    html = page(alice_client, traveling).content.decode()
    assert 'data-freshness="stale"' in html and "Updated 3 min ago" in html


def test_older_than_ten_minutes_the_marker_is_hidden_and_the_location_unavailable(
    alice_client, traveling, technician, site
):
    report(technician, north_of(site, 1), age=timedelta(minutes=10, seconds=1))
    refreshed = state(alice_client, traveling)

    assert refreshed["freshness"] == "unavailable"
    assert refreshed["technician"] is None and refreshed["minutes"] is None
    assert refreshed["announcement"] == "Terry’s location is unavailable right now."
    html = page(alice_client, traveling).content.decode()
    assert "location is unavailable right now" in html
    assert f"{north_of(site, 1)[0]:.4f}" not in html


def test_the_staleness_limits_are_settings(alice_client, traveling, technician, site, settings):
    settings.MAP_STALE_AFTER_SECONDS, settings.MAP_HIDE_AFTER_SECONDS = 10, 30
    report(technician, north_of(site, 1), age=timedelta(seconds=20))
    assert state(alice_client, traveling)["freshness"] == "stale"
    report(technician, north_of(site, 1), age=timedelta(seconds=5))
    assert state(alice_client, traveling)["freshness"] == "fresh"


def test_before_any_position_the_location_is_unavailable(alice_client, traveling):
    refreshed = state(alice_client, traveling)
    assert refreshed["freshness"] == "unavailable" and refreshed["technician"] is None
    assert refreshed["age_seconds"] is None


def test_only_the_first_name_unless_settings_allow_more(
    alice_client, traveling, technician, site, settings
):
    technician.user.phone = "+1 206 555 0100"
    technician.user.save()
    report(technician, north_of(site, 1))
    html = page(alice_client, traveling).content.decode()
    refreshed = state(alice_client, traveling)
    assert "Terry" in html and "Tech" not in html and "555" not in html
    assert refreshed["initials"] == "" and refreshed["phone"] == ""
    assert "Tech" not in json.dumps(refreshed)

    settings.MAP_SHOW_TECHNICIAN_INITIALS = True
    settings.MAP_SHOW_TECHNICIAN_PHONE = True
    refreshed = state(alice_client, traveling)
    assert (refreshed["initials"], refreshed["phone"]) == ("TT", "+1 206 555 0100")
    assert 'href="tel:+1 206 555 0100"' in page(alice_client, traveling).content.decode()


# --- The page ----------------------------------------------------------------------------------


def test_without_javascript_the_page_has_the_panel_and_a_refresh_link(
    alice_client, traveling, technician, site
):
    report(technician, north_of(site, 10), age=timedelta(seconds=30))
    html = page(alice_client, traveling).content.decode()

    live = re.search(r'<p id="live-announcement"[^>]*>([^<]*)</p>', html)
    assert 'aria-live="polite"' in live[0]
    assert live[1] == "Terry is about 15 minutes away, arriving around 9:15 AM PDT."
    # The age sits outside the live region.
    assert re.search(r'<p id="live-age"[^>]*>Updated 30 s ago</p>', html)
    refresh = reverse("tracking:live_map", args=[traveling.pk])
    assert re.search(rf'<p class="nojs-only"><a href="{refresh}">Refresh</a>', html)
    # The map's element is for scripts only; Leaflet and the page's script come from here.
    assert 'class="live-map js-only"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html and "/static/js/live-map.js" in html


def test_the_page_hands_the_script_its_settings(alice_client, traveling, settings):
    settings.MAP_TILE_URL = "https://tiles.example.com/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "Tiles &copy; Example"
    settings.MAP_POLL_SECONDS = 20
    html = page(alice_client, traveling).content.decode()
    assert 'data-tile-url="https://tiles.example.com/{z}/{x}/{y}.png"' in html
    assert 'data-attribution="Tiles &amp;copy; Example"' in html
    assert 'data-poll-seconds="20"' in html
    state_url = reverse("tracking:live_map_state", args=[traveling.pk])
    assert f'data-state-url="{state_url}"' in html
    key = re.search(r'data-state-key="([^"]+)"', html)[1]
    assert map_keys.read(key, traveling.pk) == (
        traveling.service_account_id,
        traveling_zone(traveling),
    )
    assert refresh(alice_client, traveling, key).status_code == 200


def test_the_page_policy_allows_the_tile_host_for_images_and_nothing_else_new(
    alice_client, traveling
):
    header = page(alice_client, traveling)["Content-Security-Policy"]
    # The portal's policy, as on every page (tests/test_content_security_policy.py): no
    # script, style or connection from anywhere but here; images from the tile host too.
    assert header == alice_client.get(reverse("portal:home"))["Content-Security-Policy"]
    assert "img-src 'self' https://tile.openstreetmap.org" in header.split("; ")
    assert "default-src 'self'" in header.split("; ")


def test_the_page_and_the_refresh_are_never_cached(alice_client, traveling):
    for response in (page(alice_client, traveling), refresh(alice_client, traveling)):
        assert "no-store" in response["Cache-Control"]


# --- Cost ------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["redis", "database"])
def test_the_refresh_makes_a_fixed_number_of_queries(
    alice_client, traveling, technician, site, settings, backend, django_assert_num_queries
):
    if backend == "database":
        settings.REDIS_URL = ""  # as under `make run`: the latest position is a row
    state(alice_client, traveling)  # the booking rules, cached in the process from here on
    # The visit with its technician (the key says whose it is: no session, no user); under
    # `make run` one more for the latest position. Never the pings.
    queries = 1 if backend == "redis" else 2
    with django_assert_num_queries(queries):
        assert state(alice_client, traveling)["technician"] is None
    report(technician, north_of(site, 4))
    with django_assert_num_queries(queries):
        assert state(alice_client, traveling)["technician"] is not None
