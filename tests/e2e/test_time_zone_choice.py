"""The time-zone select in Chromium: the device's zone chosen while the customer has none,
a search box that narrows the list by keyboard, and the plain select without scripts."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portal import services
from tests.e2e.conftest import PHONE, assert_accessible, tab_to
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROFILE = reverse("portal:profile")


@pytest.fixture
def context_options():
    return {"timezone_id": "Europe/Oslo"}


def sign_in(page, live_server, email="alice@example.com"):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def zone_select(page):
    return page.get_by_label("Time zone", exact=True)


def test_create_profile_chooses_the_device_zone(page, live_server, account, dispatcher):
    invitation = services.invite(
        contact_name="Bob Builder",
        email="bob@example.com",
        service_account=account,  # in Seattle
        created_by=dispatcher,
    )
    page.goto(f"{live_server.url}{reverse('portal:redeem')}?code={invitation.code}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server.url}{reverse('portal:create_profile')}")

    expect(zone_select(page)).to_have_value("Europe/Oslo")
    expect(page.get_by_text("We chose your device's time zone")).to_be_visible()
    assert_accessible(page)


def test_the_profile_chooses_the_device_zone_only_while_there_is_none(page, live_server, alice):
    sign_in(page, live_server)
    page.goto(live_server.url + PROFILE)
    expect(zone_select(page)).to_have_value("America/Los_Angeles")  # her own

    alice.time_zone = ""  # as admin makes customers
    alice.save()
    page.reload()
    expect(zone_select(page)).to_have_value("Europe/Oslo")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile was saved.")).to_be_visible()
    alice.refresh_from_db()
    assert alice.time_zone == "Europe/Oslo"


@pytest.mark.parametrize(
    "context_options", [{"timezone_id": "Asia/Calcutta"}], ids=["old-name"], indirect=False
)
def test_an_old_name_the_browser_reports_chooses_the_listed_zone(page, live_server, alice):
    alice.time_zone = ""
    alice.save()
    sign_in(page, live_server)
    page.goto(live_server.url + PROFILE)
    expect(zone_select(page)).to_have_value("Asia/Kolkata")


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_the_search_narrows_the_list_by_keyboard(page, live_server, alice):
    sign_in(page, live_server)
    page.goto(live_server.url + PROFILE)
    search = page.get_by_label("Find your time zone")

    tab_to(page, search)
    page.keyboard.type("denver")
    expect(page.get_by_role("status")).to_have_text(
        "1 time zone matches: Denver (United States, Mountain (most areas)), chosen."
    )
    expect(zone_select(page).locator("option")).to_have_count(1)
    page.keyboard.press("Enter")  # to the select, not a submit
    expect(zone_select(page)).to_be_focused()
    expect(zone_select(page)).to_have_value("America/Denver")

    # Words match the country too; a miss says so and leaves the list as it was.
    page.get_by_label("Find your time zone").fill("norway")
    expect(zone_select(page)).to_have_value("Europe/Oslo")
    page.get_by_label("Find your time zone").fill("atlantis")
    expect(page.get_by_role("status")).to_have_text("No time zone matches “atlantis”.")
    page.get_by_label("Find your time zone").fill("")
    expect(zone_select(page).locator("option")).to_have_count(419)
    expect(zone_select(page)).to_have_value("Europe/Oslo")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)

    tab_to(page, page.get_by_role("button", name="Save profile"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your profile was saved.")).to_be_visible()
    alice.refresh_from_db()
    assert alice.time_zone == "Europe/Oslo"


def test_without_javascript_the_plain_select_works(browser, live_server, alice):
    alice.time_zone = ""
    alice.save()
    context = browser.new_context(
        viewport=PHONE, java_script_enabled=False, timezone_id="Europe/Oslo"
    )
    page = context.new_page()
    try:
        sign_in(page, live_server)
        page.goto(live_server.url + PROFILE)
        expect(page.get_by_label("Find your time zone")).to_have_count(0)
        expect(zone_select(page)).to_have_value("America/Los_Angeles")  # the site's
        zone_select(page).select_option("America/Chicago")
        page.get_by_role("button", name="Save profile").click()
        expect(page.get_by_text("Your profile was saved.")).to_be_visible()
        alice.refresh_from_db()
        assert alice.time_zone == "America/Chicago"
    finally:
        context.close()
