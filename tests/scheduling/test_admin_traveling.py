"""Marking Traveling a visit that starts more than 12 hours ahead asks first: a slip of the
mouse would tell the customer the technician is on the way, days early."""

from datetime import timedelta

import pytest
from django.urls import reverse

from scheduling.models import Appointment, AppointmentEvent
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:scheduling_appointment_changelist")
Status = Appointment.Status


def mark(client, *appointments, **extra):
    data = {"action": "mark_traveling", "_selected_action": [a.pk for a in appointments]}
    return client.post(CHANGELIST, {**data, **extra}, follow=True)


@pytest.fixture
def in_two_hours(clock, appointment):
    """A visit of Terry's starting two hours from now."""
    return AppointmentFactory(
        service_account=appointment.service_account,
        customer=appointment.customer,
        resource=appointment.resource,
        service_type=appointment.service_type,
        start=clock.now + timedelta(hours=2),
    )


def statuses(*appointments) -> list[str]:
    return [Appointment.objects.get(pk=a.pk).status for a in appointments]


def test_a_visit_days_ahead_asks_for_confirmation_and_changes_nothing(desk_client, appointment):
    events = AppointmentEvent.objects.count()

    response = mark(desk_client, appointment)

    assert response.templates[0].name == "admin/scheduling/appointment/confirm_traveling.html"
    page = response.content.decode()
    assert str(appointment) in page and "more than 12 hours from now" in page
    assert f'name="_selected_action" value="{appointment.pk}"' in page
    assert 'name="confirmed" value="yes"' in page
    assert statuses(appointment) == [Status.SCHEDULED]
    assert AppointmentEvent.objects.count() == events


def test_confirming_marks_it_traveling(desk_client, desk_dispatcher, appointment):
    response = mark(desk_client, appointment, confirmed="yes")

    assert [str(m) for m in response.context["messages"]] == ["1 appointment(s) now Traveling."]
    assert statuses(appointment) == [Status.TRAVELING]
    assert appointment.events.last().by == desk_dispatcher


def test_a_visit_starting_soon_is_marked_at_once(desk_client, in_two_hours):
    response = mark(desk_client, in_two_hours)

    assert "confirm_traveling" not in " ".join(t.name for t in response.templates)
    assert [str(m) for m in response.context["messages"]] == ["1 appointment(s) now Traveling."]
    assert statuses(in_two_hours) == [Status.TRAVELING]


def test_a_mixed_selection_names_only_the_early_visit_and_waits(
    desk_client, appointment, in_two_hours
):
    response = mark(desk_client, appointment, in_two_hours)

    early = response.context["early"]
    assert early == [appointment]
    assert {a.pk for a in response.context["selected"]} == {appointment.pk, in_two_hours.pk}
    assert statuses(appointment, in_two_hours) == [Status.SCHEDULED, Status.SCHEDULED]

    mark(desk_client, appointment, in_two_hours, confirmed="yes")
    assert statuses(appointment, in_two_hours) == [Status.TRAVELING, Status.TRAVELING]
