"""axe finds no serious violation on the allauth pages a customer meets."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_signed_out_account_pages_are_accessible(page, live_server, alice):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".has-error, [role=alert]").first).to_be_visible()
    assert_accessible(page)  # sign-in errors
    for name in ("account_reset_password", "account_reset_password_done"):
        page.goto(live_server.url + reverse(name))
        expect(page.get_by_role("link", name="Back to sign in")).to_be_visible()
        assert_accessible(page)


def test_the_signed_in_account_pages_are_accessible(page, live_server, alice):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()
    for name in ("account_change_password", "account_email"):
        page.goto(live_server.url + reverse(name))
        expect(page.get_by_role("link", name="Back to your profile")).to_be_visible()
        assert_accessible(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_profile_and_closing_pages_are_accessible(page, live_server, alice, viewport):
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + reverse("portal:profile"))
    expect(page.get_by_label("Find your time zone")).to_be_visible()
    assert_accessible(page)  # the profile, its time-zone search and "Your data"

    page.get_by_role("link", name="Close your account").click()
    expect(page.get_by_role("heading", name="Close your account?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Close my account").click()  # nothing typed
    expect(page.locator(".form-errors")).to_be_focused()
    assert_accessible(page)  # with its error
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    alice.refresh_from_db()
    assert alice.closed_at is None

    page.get_by_label("Your email address or your password").fill("alice@example.com")
    page.get_by_role("button", name="Close my account").click()
    expect(page.get_by_role("status")).to_contain_text("Your account is closed")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    alice.refresh_from_db()
    assert alice.closed_at is not None
