"""The appointments list as a dispatcher reads it: customer, technician, site and state;
filters by state, technician, territory and day; search by the customer's name or email."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.models import Appointment, zone_for
from tests.factories import AppointmentFactory, CustomerFactory, ResourceFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:scheduling_appointment_changelist")


@pytest.fixture
def bobs(clock):
    """Bob Brown's Traveling visit tomorrow, in another territory, with Olive."""
    bob = CustomerFactory(email="bob@example.net", first_name="Bob", last_name="Brown")
    olive = ResourceFactory(user__first_name="Olive", user__last_name="Other")
    return AppointmentFactory(
        service_account=bob.service_account,
        customer=bob,
        resource=olive,
        status=Appointment.Status.TRAVELING,
        start=clock.now + timedelta(days=1),
    )


def listed(client, **params) -> list:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_the_list_shows_customer_technician_site_and_state(desk_client, appointment):
    page = desk_client.get(CHANGELIST).content.decode()
    for header in ("Customer", "Technician", "Site", "State"):
        assert f">{header}</a>" in page
    for cell in ("Alice Doe", "Terry Tech", "Alice Anderson residence", "Scheduled"):
        assert f">{cell}</td>" in page or f">{cell}</a>" in page, cell


def test_the_list_costs_the_same_queries_for_more_rows(desk_client, appointment, bobs):
    with CaptureQueriesContext(connection) as two_rows:
        desk_client.get(CHANGELIST)
    for _ in range(5):
        AppointmentFactory(customer=CustomerFactory())
    with CaptureQueriesContext(connection) as seven_rows:
        assert len(listed(desk_client)) == 7
    assert len(seven_rows) == len(two_rows)


def test_filters_by_state_technician_territory_and_day(desk_client, appointment, bobs):
    assert listed(desk_client, status__exact="traveling") == [bobs]
    assert listed(desk_client, status__exact="scheduled") == [appointment]
    assert listed(desk_client, resource=appointment.resource_id) == [appointment]
    assert listed(desk_client, resource=bobs.resource_id) == [bobs]
    territory = appointment.service_account.territory_id
    assert listed(desk_client, service_account__territory__id__exact=territory) == [appointment]
    day = bobs.start.astimezone(zone_for()).date().isoformat()
    assert listed(desk_client, day=day) == [bobs]
    assert listed(desk_client, day="not a day") == []
    page = desk_client.get(CHANGELIST).content.decode()
    for title in ("By state", "By technician", "By territory", "By day", "Tomorrow"):
        assert title in page


def test_search_by_customer_name_or_email(desk_client, appointment, bobs):
    assert listed(desk_client, q="Brown") == [bobs]
    assert listed(desk_client, q="Bob Brown") == [bobs]
    assert listed(desk_client, q="bob@example.net") == [bobs]
    assert listed(desk_client, q="Alice") == [appointment]
    assert listed(desk_client, q="alice@example.com") == [appointment]
    assert listed(desk_client, q="Nobody") == []
