"""The profile page's "Download your data": one JSON file of the customer's own data."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from scheduling import services
from scheduling.models import Appointment
from surveys import services as surveys
from surveys.models import OptOut
from tests.factories import AppointmentFactory, CustomerFactory
from tests.support.mfa import enrol_totp
from tests.surveys.conftest import make_survey
from tracking.models import NoticeOptOut

pytestmark = pytest.mark.django_db
DATA = reverse("portal:download_data")


def _download(client) -> dict:
    response = client.get(DATA)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="my-data-2030-06-04.json"'
    assert "no-store" in response["Cache-Control"]
    return json.loads(response.content)


def test_it_needs_a_signed_in_customer(client):
    response = client.get(DATA)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_profile_page_offers_the_download_and_the_closure(alice_client):
    html = alice_client.get(reverse("portal:profile")).content.decode()
    assert f'href="{DATA}" download>Download your data</a>' in html
    assert f'href="{reverse("portal:close_account")}">Close your account</a>' in html


def test_it_holds_the_profile_site_and_visits_in_utc_and_the_customer_zone(
    alice_client, alice, appointment
):
    alice.phone = "+1 206 555 0100"
    alice.save()
    authenticator = enrol_totp(alice)
    body = alice_client.get(DATA).content.decode()
    data = _download(alice_client)

    assert data["time_zone"] == "America/Los_Angeles"
    assert data["profile"]["email"] == "alice@example.com"
    assert data["profile"]["first_name"] == "Alice"
    assert data["profile"]["phone"] == "+1 206 555 0100"
    assert data["profile"]["email_addresses"] == [
        {"email": "alice@example.com", "verified": True, "primary": True}
    ]
    assert [a["kind"] for a in data["profile"]["two_factor"]] == ["TOTP Authenticator"]
    assert authenticator.data["secret"] not in body  # that it is set up, not its secret
    assert data["sites"] == [
        {
            "name": "Alice Anderson residence",
            "address": "400 Broad St, Seattle, WA 98109, USA",
            "latitude": 47.6205,
            "longitude": -122.3493,
            "time_zone": "America/Los_Angeles",
            "territory": appointment.service_account.territory.name,
        }
    ]
    [visit] = data["visits"]
    # Next Monday 10:00 in Seattle (PDT, UTC-7).
    assert visit["start"] == {"utc": "2030-06-10T17:00:00Z", "local": "2030-06-10T10:00:00-07:00"}
    assert visit["end"]["local"] == "2030-06-10T11:00:00-07:00"
    assert (visit["status"], visit["product"], visit["service_type"]) == (
        "Scheduled",
        "Heat pump",
        "Repair visit",
    )
    assert visit["technician"] == "Terry Tech"
    assert visit["booked_by_you"] is True
    assert [(e["what"], e["by"]) for e in visit["history"]] == [("Booked", "you")]
    assert visit["history"][0]["at"]["utc"] == "2030-06-04T16:00:00Z"


def test_times_follow_the_zone_the_customer_chose(alice_client, alice, appointment):
    alice.time_zone = "Europe/Oslo"
    alice.save()
    data = _download(alice_client)
    assert data["time_zone"] == "Europe/Oslo"
    assert data["visits"][0]["start"]["local"] == "2030-06-10T19:00:00+02:00"
    assert data["visits"][0]["start"]["utc"] == "2030-06-10T17:00:00Z"


def test_it_holds_feedback_and_opt_outs(alice_client, alice, account, technician, repair):
    survey = make_survey(repair)
    done = AppointmentFactory(
        service_account=account,
        customer=alice,
        service_type=repair,
        resource=technician,
        status=Appointment.Status.COMPLETED,
    )
    surveys.submit(
        appointment=done,
        survey=survey,
        questions=survey.questions.all(),
        answers={
            q.pk: v
            for q, v in zip(survey.questions.all(), [5, 9, "yes", "Care", "Kind"], strict=True)
        },
        customer=alice,
    )
    OptOut.objects.create(customer=alice)
    NoticeOptOut.objects.create(customer=alice)

    data = _download(alice_client)

    [feedback] = data["feedback"]
    assert feedback["visit_id"] == done.pk
    assert feedback["survey"] == "After the visit"
    assert [a["answer"] for a in feedback["answers"]] == ["5", "9", "yes", "Care", "Kind"]
    assert feedback["submitted"]["utc"] == "2030-06-04T16:00:00Z"
    assert sorted(o["mails"] for o in data["mail_opt_outs"]) == [
        "on-the-way notices",
        "survey mails",
    ]


def test_another_customers_data_is_never_in_it(alice_client, alice, appointment, technician, clock):
    # Bob at another site, and Carol who shares Alice's site and booked a visit there.
    def visit(customer, site, days, **extra):
        start = clock.now + timedelta(days=days)
        return AppointmentFactory(
            service_account=site, customer=customer, resource=technician, start=start, **extra
        )

    bob = CustomerFactory(email="bob@example.com", first_name="Bob")
    visit(bob, bob.service_account, 8, comments="Bob's")
    carol = CustomerFactory(
        email="carol@example.com", first_name="Carol", service_account=alice.service_account
    )
    visit(carol, alice.service_account, 9, comments="Carol's gate code 1234")
    company = visit(None, alice.service_account, 10)

    body = alice_client.get(DATA).content.decode()
    data = json.loads(body)

    assert sorted(v["id"] for v in data["visits"]) == sorted([appointment.pk, company.pk])
    for secret in ("bob@example.com", "Bob", "carol@example.com", "Carol", "1234"):
        assert secret not in body


def test_each_customer_downloads_only_their_own(alice, appointment):
    bob = CustomerFactory(email="bob@example.com", first_name="Bob")
    bob_client = Client()
    bob_client.force_login(bob)

    data = _download(bob_client)

    assert data["profile"]["email"] == "bob@example.com"
    assert data["visits"] == []
    assert "alice" not in json.dumps(data).lower()


def test_a_rescheduled_visit_shows_its_history(alice_client, alice, appointment, clock):
    services.reschedule(
        appointment=appointment,
        start=appointment.start + timedelta(hours=2),
        by=alice,
        now=clock.now,
    )
    [visit] = _download(alice_client)["visits"]
    rescheduled = visit["history"][-1]
    assert rescheduled["what"] == "Rescheduled"
    assert rescheduled["from_start"]["local"] == "2030-06-10T10:00:00-07:00"
    assert rescheduled["to_start"]["local"] == "2030-06-10T12:00:00-07:00"
