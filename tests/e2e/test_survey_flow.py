"""A completed visit's survey in headless Chromium: the mail's "4" link opens the form with 4
chosen (opening it saves nothing), the customer submits, and the Past tab says "Feedback
sent"; axe finds no serious violation on the form."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from scheduling import services
from scheduling.models import Appointment
from surveys.models import Response
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_booking_flow import sign_in
from tests.support.mail import built
from tests.surveys.conftest import finished, make_survey, survey_mails

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_customer_rates_a_completed_visit_from_the_mail(
    live_server, settings, page: Page, account, alice, technician, repair, dispatcher
):
    settings.PORTAL_BASE_URL = live_server.url
    make_survey(repair)
    visit = finished(account, technician, repair, customer=alice)
    services.transition(appointment=visit, to=Appointment.Status.COMPLETED, by=dispatcher)
    body = built(survey_mails("ask").get()).body
    link = re.search(r"^4: (http://\S+)$", body, re.MULTILINE).group(1)
    assert link.startswith(live_server.url)

    # A mail scanner opens the link: nothing is saved.
    assert page.request.get(link).ok
    assert not Response.objects.exists()

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("How did your visit go?")
    rating = page.get_by_role("group", name="How was the visit?")
    expect(rating.get_by_role("radio", name="4")).to_be_checked()
    assert not Response.objects.exists()
    assert_accessible(page)

    # A required question left out: the error, then the fix.
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("alert")).to_contain_text("Was the technician on time?")
    expect(
        page.get_by_role("group", name="How was the visit?").get_by_role("radio", name="4")
    ).to_be_checked()
    assert_accessible(page)
    page.get_by_role("group", name="Was the technician on time?").get_by_role(
        "radio", name="Yes"
    ).check()
    page.get_by_label("Anything else?").fill("Quick and tidy.")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")
    saved = Response.objects.get(appointment=visit)
    assert saved.rating == 4

    sign_in(page, live_server)
    page.goto(live_server.url + reverse("portal:home") + "?tab=past")
    card = page.locator("article.appointment", has_text="Repair visit")
    expect(card.get_by_text("Feedback sent")).to_be_visible()
    expect(card.get_by_role("link", name="Send feedback")).to_have_count(0)
