"""Booking a visit just like an upcoming one warns and asks to confirm, with plain posts and
with htmx."""

from datetime import UTC, timedelta

import pytest
from django.urls import reverse

from scheduling import services
from scheduling.models import Appointment
from tests.factories import ServiceTypeFactory
from tests.support.booking import booking_form
from tests.support.clock import next_weekday_at

pytestmark = pytest.mark.django_db

BOOK = reverse("scheduling:book")
WARNING = "You already have a visit like this one."


@pytest.fixture
def booked(appointment):
    """Alice's repair visit next Monday at 10:00, as customers book it."""
    return appointment


def test_a_similar_visit_warns_and_books_nothing(alice_client, booked, repair):
    # The start as the slot grid posts it, so the page can show it chosen again.
    start = (booked.start + timedelta(hours=2)).astimezone(UTC)
    form = booking_form(repair, start, comments="Again")
    response = alice_client.post(BOOK, form)

    assert response.status_code == 200
    html = response.content.decode()
    assert WARNING in html
    assert reverse("scheduling:appointment", args=[booked.pk]) in html
    assert 'name="confirm_similar" value="on"' in html
    # The answers are kept for the second submit: slot, comments and the same token.
    assert f'value="{form["start"]}" checked' in html
    assert ">Again</textarea>" in html
    assert f'name="token" value="{form["token"]}"' in html
    assert Appointment.objects.count() == 1


def test_confirming_books_the_second_visit(alice_client, booked, repair):
    form = booking_form(repair, booked.start + timedelta(hours=2), confirm_similar="on")
    response = alice_client.post(BOOK, form)

    assert response.status_code == 302
    assert Appointment.objects.count() == 2


def test_htmx_gets_the_warning_in_the_form_fragment(alice_client, booked, repair):
    form = booking_form(repair, booked.start + timedelta(hours=3))
    response = alice_client.post(BOOK, form, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert WARNING in html
    assert "<html" not in html
    assert Appointment.objects.count() == 1
    assert 'name="confirm_similar" value="on"' in html


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"days": 7}, id="more than a week apart"),
        pytest.param({"other_type": True}, id="another service type"),
        pytest.param({"canceled": True}, id="the upcoming one canceled"),
    ],
)
def test_visits_that_are_not_alike_book_at_once(alice_client, alice, booked, repair, change):
    service_type = repair
    if change.get("other_type"):
        service_type = ServiceTypeFactory(
            name="Maintenance", duration=timedelta(hours=1), products=list(repair.products.all())
        )
    if change.get("canceled"):
        services.cancel(appointment=booked, by=alice, reason="Not needed")
    start = booked.start + timedelta(days=change.get("days", 0), hours=2)
    response = alice_client.post(BOOK, booking_form(service_type, start))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Appointment.objects.exclude(pk=booked.pk).count() == 1


def test_the_same_form_sent_again_is_not_a_similar_visit(alice_client, repair, technician):
    form = booking_form(repair, next_weekday_at("10:00"))
    first = alice_client.post(BOOK, form)
    second = alice_client.post(BOOK, form)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Appointment.objects.count() == 1
