"""Links in mail point where the person reached the portal: the request's host when a
request sends the mail, PORTAL_BASE_URL when nobody's request does (a worker, a command).
Greetings name the portal, not a host and port."""

import re

import pytest
from django.urls import reverse

from portal import services
from portal.models import Invitation, OutboxMessage
from scheduling import services as scheduling
from scheduling.models import Appointment
from tests.factories import ResourceFactory
from tests.support.booking import booking_form
from tests.support.clock import LA, next_weekday_at
from tests.support.mail import built

pytestmark = pytest.mark.django_db

HOST = "portal.example.test:8101"
HERE = f"http://{HOST}"


@pytest.fixture(autouse=True)
def _served_elsewhere(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "portal.example.test"]
    settings.PORTAL_BASE_URL = "https://configured.example.com"
    settings.PORTAL_NAME = "Acme Field Service"


def body(row: OutboxMessage) -> str:
    return built(row).body


def links(row: OutboxMessage) -> list[str]:
    return re.findall(r"https?://\S+", body(row))


def test_a_reset_mail_links_to_the_host_it_was_asked_on_and_greets_by_name(client, alice):
    client.post(reverse("account_reset_password"), {"email": alice.email}, HTTP_HOST=HOST)

    mail = body(OutboxMessage.objects.get(to=alice.email))
    assert mail.startswith("Hello from Acme Field Service!")
    assert "Thank you for using Acme Field Service!" in mail
    assert re.search(rf"{re.escape(HERE)}/accounts/password/reset/key/\S+", mail)
    assert "configured.example.com" not in mail


@pytest.fixture
def technician(account):
    return ResourceFactory(territories=[account.territory])


def test_a_booking_made_on_the_site_links_to_its_host(client, alice, repair, technician):
    client.force_login(alice)
    start = next_weekday_at("10:00")
    client.post(reverse("scheduling:book"), booking_form(repair, start), HTTP_HOST=HOST)

    appointment = Appointment.objects.get()
    confirmation = OutboxMessage.objects.get(subject="Your service visit is booked")
    assert links(confirmation) == [f"{HERE}/appointments/{appointment.pk}/"]


@pytest.fixture
def booked(alice, account, technician, repair):
    return scheduling.book(
        account=account,
        customer=alice,
        product=repair.products.get(),
        service_type=repair,
        start=next_weekday_at("10:00"),
    )


def test_a_booking_made_without_a_request_links_to_the_setting(booked):
    confirmation = OutboxMessage.objects.get(subject="Your service visit is booked")
    assert links(confirmation) == [f"https://configured.example.com/appointments/{booked.pk}/"]


def test_changes_made_on_the_site_link_to_its_host(client, alice, booked):
    client.force_login(alice)
    new_start = next_weekday_at("14:00")
    client.post(
        reverse("scheduling:modify", args=[booked.pk]),
        {"day": new_start.astimezone(LA).date().isoformat(), "start": new_start.isoformat()},
        HTTP_HOST=HOST,
    )
    client.post(
        reverse("scheduling:cancel", args=[booked.pk]), {"reason": "Fixed it"}, HTTP_HOST=HOST
    )

    moved = OutboxMessage.objects.get(subject="Your service visit has a new time")
    canceled = OutboxMessage.objects.get(subject="Your service visit is canceled")
    assert links(moved) == [f"{HERE}/appointments/{booked.pk}/"]
    assert links(canceled) == [f"{HERE}/book/"]


def test_a_dispatchers_cancel_links_to_the_admins_host(admin_client, booked):
    admin_client.post(
        reverse("admin:scheduling_appointment_changelist"),
        {"action": "cancel_by_dispatcher", "_selected_action": [booked.pk]},
        HTTP_HOST=HOST,
    )

    canceled = OutboxMessage.objects.get(subject="Your service visit is canceled")
    assert links(canceled) == [f"{HERE}/book/"]


def test_invitations_sent_from_admin_link_to_the_admins_host(admin_client, account):
    admin_client.post(
        reverse("admin:portal_invitation_add"),
        {"contact_name": "Bob", "email": "bob@example.com", "service_account": account.pk},
        HTTP_HOST=HOST,
    )
    first = Invitation.objects.get()
    admin_client.post(
        reverse("admin:portal_invitation_changelist"),
        {"action": "resend", "_selected_action": [first.pk]},
        HTTP_HOST=HOST,
    )
    second = Invitation.objects.get(status=Invitation.Status.PENDING)
    page = admin_client.get(
        reverse("admin:portal_invitation_change", args=[second.pk]), HTTP_HOST=HOST
    )

    sent = [links(row)[0] for row in OutboxMessage.objects.order_by("id")]
    assert sent == [
        f"{HERE}/redeem/?code={first.display_code}",
        f"{HERE}/redeem/?code={second.display_code}",
    ]
    assert f'href="{HERE}/redeem/?code={second.display_code}"' in page.content.decode()


def test_an_invitation_sent_without_a_request_links_to_the_setting(account):
    invitation = services.invite(
        contact_name="Bob", email="bob@example.com", service_account=account, created_by=None
    )

    row = OutboxMessage.objects.get()
    assert links(row)[0] == f"https://configured.example.com/redeem/?code={invitation.display_code}"
