"""A dispatcher signs in to admin with the code of their authenticator app, or sets the app up
first; axe finds no serious violation on the pages on the way."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, tab_and_type, tab_to
from tests.factories import PASSWORD, UserFactory
from tests.support.mfa import enrol_totp, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dina(db):
    user = UserFactory(email="dina@example.com", first_name="Dina", is_staff=True)
    # The group's row, should an earlier transactional test have flushed the migration's.
    user.groups.add(Group.objects.get_or_create(name="Dispatchers")[0])
    return user


def _sign_in_from_admin(page: Page, live_server, email: str) -> None:
    page.goto(live_server.url + reverse("admin:index"))
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_dispatcher_gives_the_apps_code_to_open_admin(page, live_server, dina):
    enrol_totp(dina)
    _sign_in_from_admin(page, live_server, dina.email)

    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert_accessible(page)
    code = page.get_by_label("Code", exact=True)
    tab_and_type(page, code, totp_code(steps=-2))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("That code is not right.")
    assert_accessible(page)  # the refusal

    tab_and_type(page, code, totp_code())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Field service")).to_be_visible()
    assert page.url == live_server.url + reverse("admin:index")


def test_a_dispatcher_without_the_app_sets_it_up_then_admin_opens(page, live_server, dina):
    _sign_in_from_admin(page, live_server, dina.email)

    # allauth asks for the password again before an authenticator is added.
    expect(page.get_by_text("set up an authenticator app to continue")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    expect(page.get_by_role("link", name="Back to your profile")).to_be_visible()
    assert_accessible(page)
    secret = page.get_by_label("Secret").input_value()
    tab_and_type(page, page.get_by_label("Code from the app"), totp_code(secret))
    tab_to(page, page.get_by_role("button", name="Activate"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Dispatch").click()

    # Set up in a session signed in by password alone: the code is asked once.
    expect(page.get_by_label("Code")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Field service")).to_be_visible()
