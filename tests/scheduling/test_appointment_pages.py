"""Home, an appointment, modify and cancel: only the customer's own account, only while
Scheduled."""

from datetime import timedelta

import pytest
from django.urls import reverse

from portal.models import OutboxMessage
from scheduling.models import Appointment
from tests.factories import CustomerFactory, ServiceAccountFactory
from tests.support.clock import LA, next_weekday_at

pytestmark = pytest.mark.django_db
Status = Appointment.Status


def _copy(appointment, **fields):
    values = {
        "service_account": appointment.service_account, "customer": appointment.customer,
        "product": appointment.product, "service_type": appointment.service_type,
        "resource": appointment.resource,
    } | fields  # fmt: skip
    return Appointment.objects.create(**values)


def _at(appointment, days, status):
    start = appointment.start + timedelta(days=days)
    return _copy(appointment, start=start, end=start + timedelta(hours=1), status=status)


def test_without_a_live_map_page_the_link_opens_the_appointment(
    alice_client, appointment, settings
):
    settings.LIVE_MAP_URL_NAME = ""
    traveling = _at(appointment, 1, Status.TRAVELING)
    html = alice_client.get(reverse("portal:home")).content.decode()
    assert f'href="/appointments/{traveling.pk}/">View live map' in html


def test_home_groups_active_upcoming_and_past(alice_client, appointment):
    traveling = _at(appointment, 1, Status.TRAVELING)
    second_traveling = _at(appointment, 2, Status.TRAVELING)
    in_progress = _at(appointment, -1, Status.IN_PROGRESS)
    done = _at(appointment, -7, Status.COMPLETED)
    gone = _at(appointment, -6, Status.CANCELED)

    upcoming = alice_client.get(reverse("portal:home"))
    past = alice_client.get(reverse("portal:home"), {"tab": "past"})

    home = upcoming.context["appointments"]
    assert home.active == traveling
    assert home.upcoming == [in_progress, appointment, second_traveling]
    assert home.past == [gone, done]
    html = upcoming.content.decode()
    assert html.count("View live map") == 2
    for shown in (traveling, second_traveling):
        assert f'href="/appointments/{shown.pk}/map/">View live map' in html
    assert "so it can no longer be changed online" in html  # In Progress: Modify greyed out
    assert f'href="{reverse("scheduling:modify", args=[appointment.pk])}"' in html
    assert "Past appointments" in past.content.decode()
    assert "Completed" in past.content.decode()


def test_another_accounts_appointment_is_404(client, appointment):
    stranger_site = ServiceAccountFactory()
    client.force_login(CustomerFactory(service_account=stranger_site))
    for name in ("appointment", "modify", "cancel", "calendar"):
        assert client.get(reverse(f"scheduling:{name}", args=[appointment.pk])).status_code == 404
    response = client.post(reverse("scheduling:cancel", args=[appointment.pk]), {"reason": "x"})
    assert response.status_code == 404
    slots = client.get(
        reverse("scheduling:slots"), {"appointment": appointment.pk, "day": "2030-01-01"}
    )
    assert slots.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == Status.SCHEDULED


def test_modify_moves_it_to_a_new_day_and_time(alice_client, appointment):
    new_start = next_weekday_at("14:00", weekday=3)
    response = alice_client.post(
        reverse("scheduling:modify", args=[appointment.pk]),
        {"day": new_start.astimezone(LA).date().isoformat(), "start": new_start.isoformat()},
        follow=True,
    )
    assert "Your visit has a new time." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.start == new_start
    assert OutboxMessage.objects.filter(subject="Your service visit has a new time").exists()


def test_the_modify_page_offers_the_current_time_too(alice_client, appointment):
    day = appointment.start.astimezone(LA).date().isoformat()
    html = alice_client.get(
        reverse("scheduling:modify", args=[appointment.pk]), {"day": day}
    ).content.decode()
    # Its own booking does not block the day: 10:00 is still offered.
    assert ">10:00 AM<" in html


def test_cancel_asks_for_a_reason_then_cancels(alice_client, appointment):
    url = reverse("scheduling:cancel", args=[appointment.pk])
    page = alice_client.get(url)
    assert "Cancel this visit?" in page.content.decode()

    empty = alice_client.post(url, {"reason": ""})
    assert "Please tell us why you are canceling." in empty.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.SCHEDULED

    done = alice_client.post(url, {"reason": "Fixed it myself"}, follow=True)
    assert "Your visit is canceled." in done.content.decode()
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (Status.CANCELED, "Fixed it myself")


@pytest.mark.parametrize(
    "status", [Status.TRAVELING, Status.IN_PROGRESS, Status.COMPLETED, Status.CANCELED]
)
def test_only_scheduled_visits_can_be_modified_or_canceled(alice_client, appointment, status):
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    for name in ("modify", "cancel"):
        response = alice_client.post(
            reverse(f"scheduling:{name}", args=[appointment.pk]), {"reason": "x"}, follow=True
        )
        assert "can no longer be changed online" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == status


def test_the_calendar_file_downloads(alice_client, appointment):
    response = alice_client.get(reverse("scheduling:calendar", args=[appointment.pk]))
    assert response["Content-Type"] == "text/calendar"
    assert b"BEGIN:VEVENT" in response.content
    assert b"METHOD:PUBLISH" in response.content
    assert b"TZID=America/Los_Angeles" in response.content


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (Appointment.Status.SCHEDULED, True),
        (Appointment.Status.TRAVELING, True),
        (Appointment.Status.IN_PROGRESS, True),
        (Appointment.Status.COMPLETED, False),
        (Appointment.Status.CANCELED, False),
    ],
)
def test_the_calendar_file_is_offered_only_for_visits_still_to_come(
    alice_client, appointment, status, offered
):
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    url = reverse("scheduling:calendar", args=[appointment.pk])

    page = alice_client.get(reverse("scheduling:appointment", args=[appointment.pk]))
    download = alice_client.get(url)

    assert page.status_code == 200
    assert (url in page.content.decode()) is offered
    assert ("Add to my calendar" in page.content.decode()) is offered
    assert download.status_code == (200 if offered else 404)
    assert (b"BEGIN:VEVENT" in download.content) is offered


def test_home_shows_the_latest_fifty_past_visits_in_a_fixed_number_of_queries(
    alice_client, appointment, django_assert_max_num_queries
):
    for days in range(1, 56):
        _at(appointment, -7 * days, Status.COMPLETED)
    with django_assert_max_num_queries(12):
        response = alice_client.get(reverse("portal:home"), {"tab": "past"})
    html = response.content.decode()
    assert "Past (55)" in html
    assert "Your 50 most recent visits of 55." in html
    assert html.count('class="card appointment"') == 50


def test_a_traveling_visit_names_the_technician_by_first_name_only(alice_client, appointment):
    technician = appointment.resource.user
    technician.first_name, technician.last_name = "Robin", "Quartermaine"
    technician.save()
    appointment.status = Status.TRAVELING
    appointment.save()

    html = alice_client.get(reverse("scheduling:appointment", args=[appointment.pk])).text

    assert "Your technician, Robin, is on the way." in html
    assert "Quartermaine" not in html
    assert technician.email not in html
