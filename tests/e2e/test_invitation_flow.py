"""A customer invited by a dispatcher redeems the code from the mail, creates a profile, signs
out and back in: in a real browser, by keyboard alone, with an axe check on every page."""

import re

import pytest
from playwright.sync_api import Page, expect

from portal import services
from portal.models import Invitation, OutboxMessage, User
from tests.e2e.conftest import PHONE, assert_accessible, tab_and_type, tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Furnace-filter-Tuesday-42"
LINK_RE = re.compile(r"^(http://\S+/redeem/\?code=\S+)$", re.MULTILINE)


@pytest.fixture
def context_options():
    """A browser in Seattle, as the site: the create-profile page takes the device's zone."""
    return {"timezone_id": "America/Los_Angeles"}


def _link_from_mail(invitation: Invitation) -> str:
    """The link as the customer finds it in the invitation mail's text body."""
    row = OutboxMessage.objects.get(to=invitation.email)
    match = LINK_RE.search(row.payload["body"])
    assert match, f"no redeem link in the mail body:\n{row.payload['body']}"
    return match.group(1)


def _sign_in_tabs(page: Page):
    return page.get_by_role("navigation", name="Sign in or redeem an invitation")


def test_it_redeems_an_invitation_and_signs_in_again_by_keyboard(
    live_server, settings, page: Page, account, dispatcher
):
    settings.PORTAL_BASE_URL = live_server.url
    invitation = services.invite(
        contact_name="Bob Builder",
        email="bob@example.com",
        service_account=account,
        created_by=dispatcher,
    )
    link = _link_from_mail(invitation)
    assert link.startswith(live_server.url)

    # The link opens the sign-in page's "Redeem invitation" tab with the code filled in.
    page.goto(link)
    expect(page).to_have_title(re.compile(r"^Redeem invitation"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome")
    tabs = _sign_in_tabs(page)
    expect(tabs.get_by_role("link", name="Redeem invitation")).to_have_attribute(
        "aria-current", "page"
    )
    expect(tabs.get_by_role("link", name="Sign in")).not_to_have_attribute("aria-current", "page")
    expect(page.get_by_label("Invitation code")).to_have_value(invitation.display_code)
    assert_accessible(page)

    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")

    # Step two: the customer's own details and password.
    page.wait_for_url(f"{live_server.url}/redeem/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your profile")
    expect(page.get_by_role("main")).to_contain_text("You are joining Alice Anderson residence")
    expect(page.get_by_label("Email")).to_have_value("bob@example.com")
    expect(page.get_by_label("Time zone", exact=True)).to_have_value("America/Los_Angeles")
    assert_accessible(page)

    tab_and_type(page, page.get_by_label("First name"), "Bob")
    tab_and_type(page, page.get_by_label("Last name"), "Builder")
    tab_and_type(page, page.get_by_label("Phone"), "+1 206 555 0100")
    tab_and_type(page, page.get_by_label("Password", exact=True), PASSWORD)
    tab_and_type(page, page.get_by_label("Password again"), PASSWORD)
    page.keyboard.press("Enter")

    # Home: signed in, greeted by first name.
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("status")).to_contain_text("Welcome, Bob! Your profile is ready.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Bob")
    expect(page.get_by_role("region", name="Upcoming appointments")).to_be_visible()
    assert_accessible(page)

    tab_to(page, page.get_by_role("button", name="Sign out"))
    page.keyboard.press("Enter")

    # Signed out: the sign-in tab.
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")
    expect(_sign_in_tabs(page).get_by_role("link", name="Sign in")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert_accessible(page)

    tab_and_type(page, page.get_by_label("Email"), "bob@example.com")
    tab_and_type(page, page.get_by_label("Password"), PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Bob")
    expect(page.get_by_role("region", name="Upcoming appointments")).to_be_visible()
    assert_accessible(page)

    user = User.objects.get(email="bob@example.com")
    assert user.service_account == account
    assert (user.first_name, user.last_name, user.phone) == ("Bob", "Builder", "+1 206 555 0100")
    assert user.time_zone == "America/Los_Angeles"
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REDEEMED
    assert invitation.redeemed_by == user


@pytest.mark.parametrize("viewport", [PHONE], ids=["phone"])
def test_it_fits_the_sign_in_page_on_a_phone(live_server, page: Page, viewport):
    page.goto(f"{live_server.url}/accounts/login/")

    tabs = _sign_in_tabs(page)
    expect(tabs.get_by_role("link", name="Sign in")).to_be_in_viewport()
    expect(tabs.get_by_role("link", name="Redeem invitation")).to_be_in_viewport()
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], f"scrolls sideways: scrollWidth, innerWidth = {overflow}"
    assert_accessible(page)
