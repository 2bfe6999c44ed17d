"""HEAD is GET without the body, on every page a customer can open."""

import pytest
from django.urls import reverse

from scheduling.models import Appointment
from tests.factories import ResourceFactory
from tests.support.clock import next_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(alice, repair):
    start = next_weekday_at("10:00")
    return Appointment.objects.create(
        service_account=alice.service_account, customer=alice, product=repair.products.first(),
        service_type=repair, resource=ResourceFactory(), start=start, end=start.replace(hour=11),
    )  # fmt: skip


def _pages(visit, repair) -> list[str]:
    day = visit.start.date().isoformat()
    return [
        reverse("portal:home"),
        reverse("portal:profile"),
        reverse("scheduling:book"),
        reverse("scheduling:slots") + f"?service_type={repair.pk}&day={day}",
        reverse("scheduling:appointment", args=[visit.pk]),
        reverse("scheduling:modify", args=[visit.pk]),
        reverse("scheduling:cancel", args=[visit.pk]),
        reverse("scheduling:calendar", args=[visit.pk]),
    ]


def test_head_answers_like_get_on_the_customer_pages(client, alice, visit, repair):
    client.force_login(alice)
    for url in _pages(visit, repair):
        get, head = client.get(url), client.head(url)
        assert (get.status_code, head.status_code) == (200, 200), url
        assert head["Content-Type"] == get["Content-Type"]
        assert head.content == b""


@pytest.mark.parametrize("page", ["portal:redeem", "portal:create_profile", "account_login"])
def test_head_answers_like_get_when_signed_out(client, page):
    get, head = client.get(reverse(page)), client.head(reverse(page))
    assert head.status_code == get.status_code
    assert head.get("Location") == get.get("Location")
