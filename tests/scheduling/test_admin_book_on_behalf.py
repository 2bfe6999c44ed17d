"""A dispatcher of the Dispatchers group (not a superuser) books a visit for a customer in
admin, choosing among the times the customer's own page offers: the same booking service, so
the same technician choice, overlap guarantee, confirmation mail and history; refusals are the
portal's plain messages on the form."""

from datetime import UTC, timedelta

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.test import Client
from django.urls import reverse

from portal.models import OutboxMessage
from scheduling import services
from scheduling.models import Appointment, AppointmentEvent, Closure, SchedulingSettings
from tests.factories import CustomerFactory, ResourceFactory, ServiceAccountFactory, UserFactory
from tests.support.booking import booking_form
from tests.support.clock import next_weekday_at
from tests.support.mfa import sign_in_with_totp

pytestmark = pytest.mark.django_db

FIND = reverse("admin:scheduling_appointment_add")
TAKEN = "That time was just taken. Please pick another time."
NOT_AVAILABLE = "That time is not available. Please pick one of the offered times."


def book_url(customer) -> str:
    return reverse("admin:scheduling_appointment_book", args=[customer.pk])


def on_behalf(account, visit_type, start, **extra) -> dict:
    """The admin booking form as the dispatcher sends it for `start`: the customer's form
    with the site; `extra` replaces any field."""
    return booking_form(visit_type, start, site=account.pk, comments="Gate code 1234") | extra


def utc(moment) -> str:
    """A start as the time radio buttons send it."""
    return moment.astimezone(UTC).isoformat()


def offered(html: str) -> list[str]:
    """The start values of the time radio buttons on a page."""
    return [part.split('"', 1)[0] for part in html.split('name="start" value="')[1:]]


@pytest.fixture
def far_technician(account):
    """Fay, who serves Alice's territory too but starts from Tacoma, 40 km away."""
    return ResourceFactory(territories=[account.territory], user__first_name="Fay",
                           home_latitude=47.2529, home_longitude=-122.4443)  # fmt: skip


def test_the_group_may_book_on_behalf(desk_dispatcher):
    assert not desk_dispatcher.is_superuser
    assert desk_dispatcher.has_perm("scheduling.add_appointment")


def test_booking_on_behalf_goes_through_the_booking_service(
    desk_client, desk_dispatcher, alice, account, technician, far_technician, repair
):
    start = next_weekday_at("10:00")
    expected = services.free_resources(account, repair, start, SchedulingSettings.current())
    assert expected[0][0].resource_id == technician.pk  # the nearer one, by the rules

    response = desk_client.post(book_url(alice), on_behalf(account, repair, start), follow=True)

    appointment = Appointment.objects.get()
    assert response.redirect_chain == [
        (reverse("admin:scheduling_appointment_change", args=[appointment.pk]), 302)
    ]
    assert (appointment.customer, appointment.service_account) == (alice, account)
    assert (appointment.start, appointment.resource) == (start, technician)
    assert appointment.comments == "Gate code 1234"
    html = response.content.decode()
    assert (
        "Booked Repair visit for Alice Doe at Alice Anderson residence, "
        "Mon 10 Jun 2030, 10:00 AM – 11:00 AM PDT, with Terry Tech." in html
    )
    mail = OutboxMessage.objects.get()
    assert (mail.subject, mail.to) == ("Your service visit is booked", "alice@example.com")
    event = appointment.events.get()
    assert (event.kind, event.by) == (AppointmentEvent.Kind.BOOKED, desk_dispatcher)
    entry = LogEntry.objects.get(object_id=str(appointment.pk))
    assert (entry.user, entry.action_flag) == (desk_dispatcher, ADDITION)
    assert entry.get_change_message() == "Booked on behalf of Alice Doe."

    portal = Client()
    portal.force_login(alice)
    home = portal.get(reverse("portal:home")).content.decode()
    assert "Repair visit" in home and "10:00 AM" in home


def test_the_times_offered_are_the_customers_own(desk_client, alice, account, technician, repair):
    monday = next_weekday_at("10:00")
    services.book(account=account, customer=alice, product=repair.products.first(),
                  service_type=repair, start=monday)  # fmt: skip
    form = on_behalf(account, repair, monday)
    del form["start"]

    page = desk_client.post(book_url(alice), form | {"refresh": "day"}).content.decode()

    portal = Client()
    portal.force_login(alice)
    slots = portal.get(reverse("scheduling:slots"), {"service_type": repair.pk, "day": form["day"]})
    assert offered(page) == offered(slots.content.decode())
    assert len(offered(page)) == 11
    assert utc(monday) not in offered(page)
    assert "Times are on the site's clock, America/Los_Angeles." in page
    assert "Time on Monday 10 June" in page and "(America/Los_Angeles)" in page
    assert "<span>11:00 AM</span>" in page


def test_the_steps_work_without_javascript(desk_client, alice, account, technician, repair):
    page = desk_client.get(book_url(alice)).content.decode()
    assert "Show service types" in page and "Kind of visit" not in page
    step = {"site": account.pk, "product": repair.products.first().pk, "refresh": "product"}
    page = desk_client.post(book_url(alice), step).content.decode()
    assert "Repair visit (1 h)" in page and "Show days" in page
    page = desk_client.post(
        book_url(alice), step | {"service_type": repair.pk, "refresh": "service_type"}
    ).content.decode()
    assert "Show times" in page and "Pick a day to see its free times." in page
    assert not Appointment.objects.exists()


def test_a_taken_time_gives_the_plain_message(desk_client, alice, account, technician, repair):
    start = next_weekday_at("10:00")
    neighbour = CustomerFactory(service_account=ServiceAccountFactory(territory=account.territory))
    services.book(account=neighbour.service_account, customer=neighbour,
                  product=repair.products.first(), service_type=repair, start=start)  # fmt: skip

    response = desk_client.post(book_url(alice), on_behalf(account, repair, start))

    assert response.status_code == 200
    html = response.content.decode()
    assert TAKEN in html
    assert utc(start) not in offered(html)
    assert utc(start + timedelta(hours=2)) in offered(html)  # fresh times
    assert "Gate code 1234" in html  # nothing typed is lost
    assert Appointment.objects.count() == 1


def test_a_time_nobody_works_is_not_available(desk_client, alice, account, technician, repair):
    sunday = next_weekday_at("10:00", weekday=6)
    response = desk_client.post(book_url(alice), on_behalf(account, repair, sunday))
    assert NOT_AVAILABLE in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_closed_day_offers_no_times(desk_client, alice, account, technician, repair):
    start = next_weekday_at("10:00")
    Closure.objects.create(territory=account.territory, date=start.date(), name="Memorial Day")
    form = on_behalf(account, repair, start)
    del form["start"]

    page = desk_client.post(book_url(alice), form | {"refresh": "day"}).content.decode()

    assert offered(page) == []
    assert "Closed for Memorial Day." in page
    day = start.date().isoformat()
    assert f'<option value="{day}" selected disabled>Mon 10 Jun: Closed for Memorial Day.' in page
    crafted = desk_client.post(book_url(alice), on_behalf(account, repair, start))
    assert NOT_AVAILABLE in crafted.content.decode()
    assert not Appointment.objects.exists()


def test_the_same_form_posted_twice_books_once(desk_client, alice, account, technician, repair):
    form = on_behalf(account, repair, next_weekday_at("10:00"))
    first = desk_client.post(book_url(alice), form)
    second = desk_client.post(book_url(alice), form)
    assert first["Location"] == second["Location"]
    assert Appointment.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_a_visit_like_an_upcoming_one_asks_first(desk_client, alice, account, technician, repair):
    services.book(account=account, customer=alice, product=repair.products.first(),
                  service_type=repair, start=next_weekday_at("10:00"))  # fmt: skip
    form = on_behalf(account, repair, next_weekday_at("14:00", weekday=2))

    page = desk_client.post(book_url(alice), form).content.decode()

    assert "This site already has a visit like this one" in page
    assert Appointment.objects.count() == 1
    desk_client.post(book_url(alice), form | {"confirm_similar": "on"})
    assert Appointment.objects.count() == 2


def test_a_customer_who_does_not_exist_is_a_404(desk_client, desk_dispatcher):
    for pk in [999999, int("9" * 40)]:
        missing = reverse("admin:scheduling_appointment_book", args=[pk])
        assert desk_client.get(missing).status_code == 404
    # Staff have no site, a closed account no access: nobody to book for either.
    assert desk_client.get(book_url(desk_dispatcher)).status_code == 404
    gone = CustomerFactory(is_active=False)
    assert desk_client.get(book_url(gone)).status_code == 404


def test_a_site_of_another_customer_is_a_form_error(
    desk_client, alice, account, technician, repair
):
    elsewhere = CustomerFactory(service_account=ServiceAccountFactory(territory=account.territory))
    start = next_weekday_at("10:00")

    response = desk_client.post(
        book_url(alice), on_behalf(account, repair, start, site=elsewhere.service_account_id)
    )

    assert response.status_code == 200
    assert "Choose one of this customer&#x27;s sites." in response.content.decode()
    assert not Appointment.objects.exists()


# Each field sent wrong, and what the form says about it.
BAD_INPUT = {
    "site": ("abc", "Choose one of this customer&#x27;s sites."),
    "product": ("999999", "Choose one of the products listed."),
    "service_type": ("-1", "Choose a service type offered for this product."),
    "start": ("tomorrow at ten", "Pick one of the offered times."),
    "day": ("9999-12-31", "Pick one of the days shown."),
    "token": ("\x00", "Enter a valid UUID."),
}


@pytest.mark.parametrize("field", BAD_INPUT)
def test_bad_input_is_a_form_error(desk_client, alice, account, technician, repair, field):
    value, message = BAD_INPUT[field]
    form = on_behalf(account, repair, next_weekday_at("10:00")) | {field: value}
    response = desk_client.post(book_url(alice), form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_form_without_a_site_says_to_choose_one(desk_client, alice, account, technician, repair):
    form = on_behalf(account, repair, next_weekday_at("10:00")) | {"site": ""}
    response = desk_client.post(book_url(alice), form)
    assert "Choose the site of the visit." in response.content.decode()
    assert not Appointment.objects.exists()


def test_add_appointment_finds_the_customer_first(desk_client, alice, account):
    CustomerFactory(first_name="Bob", last_name="Builder", email="bob@example.com")

    page = desk_client.get(FIND, {"q": "alice"}).content.decode()

    assert book_url(alice) in page and "Alice Anderson residence" in page
    assert "bob@example.com" not in page
    by_site = desk_client.get(FIND, {"q": "anderson residence"}).content.decode()
    assert book_url(alice) in by_site
    assert "No customer matches" in desk_client.get(FIND, {"q": "nobody"}).content.decode()


def test_the_site_page_offers_booking_for_its_customers(desk_client, alice, account):
    page = desk_client.get(reverse("admin:scheduling_serviceaccount_change", args=[account.pk]))
    html = page.content.decode()
    assert f'href="{book_url(alice)}">Book a visit for Alice Doe</a>' in html


def test_staff_without_the_permission_cannot_book(client, alice, account, technician, repair):
    sign_in_with_totp(client, UserFactory(is_staff=True))
    assert client.get(FIND).status_code == 403
    response = client.post(book_url(alice), on_behalf(account, repair, next_weekday_at("10:00")))
    assert response.status_code == 403
    assert not Appointment.objects.exists()
