"""Without JavaScript every step of booking and changing a visit is a plain post; each
answer opens at the part of the form the step came from (the fragment its button posts to),
never at the top of the page, and that part has the id and can take the focus."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.support.booking import booking_form
from tests.support.clock import next_weekday_at

pytestmark = pytest.mark.django_db

BOOK = reverse("scheduling:book")


def _posts_to(html: str, button: str) -> str:
    """Where the step button named `button` posts: its formaction, else its form's action."""
    tag = re.search(rf"<button[^>]*>{re.escape(button)}</button>", html)
    assert tag, f"no {button!r} button"
    action = re.search(r'formaction="([^"]+)"', tag[0])
    assert action, f"{button!r} posts to the form's action, without its own fragment"
    return action[1]


def _opens_at(html: str, fragment: str) -> None:
    """The page has the part named by the fragment, and it can take the focus."""
    tag = re.search(rf'<[a-z]+ [^>]*id="{fragment}"[^>]*>', html)
    assert tag, f"nothing with id {fragment!r} to open at"
    assert 'tabindex="-1"' in tag[0]


def _step(client, html: str, button: str, data: dict, refresh: str) -> tuple[str, str]:
    url = _posts_to(html, button)
    path, fragment = urlsplit(url).path, urlsplit(url).fragment
    answer = client.post(path, {**data, "refresh": refresh})
    assert answer.status_code == 200
    page = answer.content.decode()
    _opens_at(page, fragment)
    return fragment, page


def test_each_booking_step_opens_where_it_came_from(alice_client, repair, technician):
    monday = next_weekday_at("09:00")
    data = booking_form(repair, monday)
    page = alice_client.get(BOOK).content.decode()

    fragment, page = _step(alice_client, page, "Show service types", data, "product")
    assert fragment == "step-product"
    assert "Repair visit" in page  # the next step, right under it

    fragment, page = _step(alice_client, page, "Show days", data, "service_type")
    assert fragment == "id_service_type"
    assert 'id="id_day"' in page

    fragment, page = _step(alice_client, page, "Show times", data, "day")
    assert fragment == "id_day"
    assert "9:00 AM" in page


def test_a_booking_with_errors_opens_at_the_form_and_its_summary(alice_client, repair, technician):
    page = alice_client.get(BOOK, {"product": repair.products.first().pk}).content.decode()
    assert f'action="{BOOK}#booking-form"' in page

    data = booking_form(repair, next_weekday_at("09:00"), start="")
    answer = alice_client.post(BOOK, data).content.decode()

    _opens_at(answer, "booking-form")
    form = answer[answer.index('id="booking-form"') :]
    assert form.index('role="alert"') < form.index('id="step-product"')  # the summary first


def test_a_similar_visit_warning_is_where_the_form_opens(
    alice_client, repair, technician, appointment
):
    data = booking_form(repair, appointment.start)  # like the one booked, an hour later
    data["start"] = appointment.start.replace(hour=appointment.start.hour + 2).isoformat()
    page = alice_client.post(BOOK, data).content.decode()

    form = page[page.index('id="booking-form"') :]
    assert form.index('id="similar-visit"') < form.index('id="step-product"')


def test_each_step_of_changing_a_visit_opens_where_it_came_from(alice_client, appointment):
    modify = reverse("scheduling:modify", args=[appointment.pk])
    page = alice_client.get(modify).content.decode()
    assert f'action="{modify}#modify-form"' in page
    _opens_at(page, "modify-form")

    data = {"day": next_weekday_at("09:00").date().isoformat()}
    fragment, page = _step(alice_client, page, "Show times", data, "day")
    assert fragment == "id_day"

    answer = alice_client.post(modify, {"day": data["day"], "start": "not a time"})
    _opens_at(answer.content.decode(), "modify-form")


def test_canceling_without_a_reason_opens_at_the_form(alice_client, appointment):
    cancel = reverse("scheduling:cancel", args=[appointment.pk])
    page = alice_client.post(cancel, {"reason": ""}).content.decode()
    assert f'action="{cancel}#cancel-form"' in page
    _opens_at(page, "cancel-form")
    assert 'role="alert"' in page
