"""The main pages under the Content-Security-Policy: nothing is refused, for the customer
(htmx swaps included), signed out and in admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from portal.models import OutboxMessage
from scheduling.models import Appointment
from tests.e2e.conftest import csp_violations
from tests.factories import PASSWORD, CustomerFactory, ResourceFactory, ServiceAccountFactory
from tests.support.clock import LA, next_weekday_at
from tests.support.mfa import enrol_totp, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def visit(repair) -> Appointment:
    site = ServiceAccountFactory()
    technician = ResourceFactory(territories=[site.territory])
    customer = CustomerFactory(service_account=site, email="alice@example.com", first_name="Alice")
    start = next_weekday_at("10:00")
    return Appointment.objects.create(
        service_account=site, customer=customer, product=repair.products.first(),
        service_type=repair, resource=technician, start=start, end=start + timedelta(hours=1),
    )  # fmt: skip


def _open(page: Page, url: str, seen: dict[str, list[str]]) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    seen[page.url] = csp_violations(page)


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def test_no_main_page_breaks_the_policy(page, live_server, csp_refusals, visit, dispatcher):
    site, seen = live_server.url, {}
    for name in ["account_login", "portal:redeem", "account_reset_password"]:
        _open(page, site + reverse(name), seen)

    _sign_in(page, site + reverse("account_login"), "alice@example.com")
    expect(page.get_by_role("heading", name="Hello, Alice")).to_be_visible()
    # htmx runs without eval and without styles of its own, and swapped-in content answers
    # at once (no settle delay: nothing here transitions, and a change made within its 20 ms
    # was lost).
    assert page.evaluate(
        "[htmx.config.allowEval, htmx.config.includeIndicatorStyles,"
        " htmx.config.defaultSettleDelay, document.querySelectorAll('style, [style]').length]"
    ) == [False, False, 0, 0]
    pages = [
        reverse("portal:home"),
        reverse("portal:home") + "?tab=past",
        reverse("portal:profile"),
        reverse("scheduling:appointment", args=[visit.pk]),
        reverse("scheduling:modify", args=[visit.pk]),
        reverse("scheduling:cancel", args=[visit.pk]),
        reverse("account_email"),
        reverse("account_change_password"),
        reverse("socialaccount_connections"),
        reverse("mfa_index"),
        reverse("account_reauthenticate"),
    ]
    for url in pages:
        _open(page, site + url, seen)

    # The booking page, its parts swapped in by htmx.
    _open(page, site + reverse("scheduling:book"), seen)
    page.get_by_label("What needs service?").select_option(label="Heat pump")
    page.get_by_label("Repair visit").check()
    day = visit.start.astimezone(LA).date() + timedelta(days=1)
    page.locator(f"label.chip:has(input[value='{day.isoformat()}'])").click()
    expect(page.locator("#slots label.chip").first).to_be_visible()
    seen["booking, after the swaps"] = csp_violations(page)

    page.get_by_role("button", name="Sign out").click()
    enrol_totp(dispatcher)
    _sign_in(page, site + reverse("admin:index"), dispatcher.email)
    seen["the code asked at sign-in"] = csp_violations(page)
    page.get_by_label("Code").fill(totp_code())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    mail = OutboxMessage.objects.create(
        subject="Hello", to="pat@example.com", from_email="desk@example.com",
        payload={"body": "Line one\nLine two"},
    )  # fmt: skip
    admin_pages = [
        reverse("admin:index"),
        reverse("admin:scheduling_appointment_changelist"),
        reverse("admin:scheduling_appointment_change", args=[visit.pk]),
        reverse("admin:scheduling_resource_change", args=[visit.resource_id]),
        reverse("admin:portal_invitation_add"),
        reverse("admin:portal_outboxmessage_change", args=[mail.pk]),
    ]
    for url in admin_pages:
        _open(page, site + url, seen)

    assert {url: found for url, found in seen.items() if found} == {}
    assert csp_refusals == []
