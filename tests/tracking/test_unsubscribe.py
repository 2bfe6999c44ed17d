"""The unsubscribe link of the on-the-way notices: a signed token naming the customer, a page
that asks before it unsubscribes (GET never does), the mail programs' one-click POST, and a
clear answer to a link that was not made here."""

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from tests.factories import CustomerFactory
from tracking.models import NoticeOptOut
from tracking.notice_mail import unsubscribe_token

pytestmark = pytest.mark.django_db


def url_for(customer) -> str:
    return reverse("notices:unsubscribe", args=[unsubscribe_token(customer.pk)])


def tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.fixture
def browser():
    """Signed out, with the CSRF checks a browser meets."""
    return Client(enforce_csrf_checks=True)


def test_opening_the_link_asks_and_unsubscribes_nobody(browser, alice):
    response = browser.get(url_for(alice))

    assert response.status_code == 200
    assert b"Stop these notices?" in response.content
    assert b'value="unsubscribe"' in response.content
    assert not NoticeOptOut.objects.exists()


def test_confirming_unsubscribes_that_customer_and_shows_it(browser, alice):
    other = CustomerFactory()
    response = browser.post(url_for(alice), {"action": "unsubscribe"}, follow=True)

    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    assert list(NoticeOptOut.objects.values_list("customer", flat=True)) == [alice.pk]
    assert b"Stop these notices?" in browser.get(url_for(other)).content


def test_a_mail_programs_one_click_post_unsubscribes(browser, alice):
    response = browser.post(
        url_for(alice),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert NoticeOptOut.objects.filter(customer=alice).exists()


def test_unsubscribing_twice_is_harmless_and_one_can_subscribe_again(browser, alice):
    browser.post(url_for(alice), {"action": "unsubscribe"})
    browser.post(url_for(alice), {"action": "unsubscribe"})
    assert NoticeOptOut.objects.filter(customer=alice).count() == 1

    response = browser.post(url_for(alice), {"action": "resubscribe"}, follow=True)
    assert b"Stop these notices?" in response.content
    assert not NoticeOptOut.objects.exists()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda c: tampered(unsubscribe_token(c.pk)), id="tampered signature"),
        pytest.param(lambda c: unsubscribe_token(c.pk)[:12], id="cut short"),
        pytest.param(lambda c: unsubscribe_token(c.pk + 1), id="a customer who is not there"),
        pytest.param(lambda c: signing.Signer().sign(str(c.pk)), id="signed for another use"),
        pytest.param(lambda c: "not-a-token", id="junk"),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_link_not_made_here_is_a_clear_error(browser, alice, token, method):
    url = reverse("notices:unsubscribe", args=[token(alice)])
    response = getattr(browser, method)(url, {"action": "unsubscribe"})

    assert response.status_code == 400
    assert b"This unsubscribe link is not valid" in response.content
    assert not NoticeOptOut.objects.exists()


def test_head_answers_as_get_does(browser, alice):
    response = browser.head(url_for(alice))
    assert response.status_code == 200
    assert response.content == b""
