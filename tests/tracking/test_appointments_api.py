"""GET appointments?date=: the technician's visits on a day of their own time zone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.models import Appointment
from tests.factories import CustomerFactory, ResourceFactory
from tests.tracking.conftest import API

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
URL = API + "appointments"


@pytest.fixture
def visit(account, alice, repair, technician):
    """A visit at `start`, an hour long, Terry's and Alice's unless told otherwise."""

    def make(start: datetime, **fields):
        values = {
            "service_account": account, "customer": alice, "product": repair.products.first(),
            "service_type": repair, "resource": technician, "start": start,
            "end": start + timedelta(hours=1),
        } | fields  # fmt: skip
        return Appointment.objects.create(**values)

    return make


def test_the_days_visits_with_what_the_technician_needs(client, technician, bearer, visit):
    first = visit(datetime(2030, 6, 10, 10, tzinfo=LA), comments="Gate code 1234")
    late = visit(datetime(2030, 6, 10, 23, 30, tzinfo=LA))  # into Tue
    canceled = visit(datetime(2030, 6, 10, 13, tzinfo=LA), status="canceled")
    visit(datetime(2030, 6, 9, 22, tzinfo=LA))  # Sunday
    visit(datetime(2030, 6, 11, 0, 30, tzinfo=LA))  # Tuesday
    visit(datetime(2030, 6, 10, 10, tzinfo=LA), resource=ResourceFactory())  # someone else's

    response = client.get(URL, {"date": "2030-06-10"}, headers=bearer)

    assert response.status_code == 200
    body = response.json()
    assert [v["id"] for v in body] == [first.pk, canceled.pk, late.pk]
    assert body[0] == {
        "id": first.pk,
        "status": "scheduled",
        "start": "2030-06-10T17:00:00Z",
        "end": "2030-06-10T18:00:00Z",
        "address": "400 Broad St, Seattle, WA 98109, USA",
        "latitude": 47.6205,
        "longitude": -122.3493,
        "customer_first_name": "Alice",
        "service_type": "Repair visit",
        "comments": "Gate code 1234",
    }
    assert body[1]["status"] == "canceled"


def test_the_day_is_the_technicians_own(client, technician, bearer, visit):
    technician.time_zone = "Asia/Tokyo"
    technician.save()
    monday_in_seattle = visit(datetime(2030, 6, 10, 10, tzinfo=LA))

    on_monday = client.get(URL, {"date": "2030-06-10"}, headers=bearer).json()
    on_tuesday = client.get(URL, {"date": "2030-06-11"}, headers=bearer).json()

    assert on_monday == []
    assert [v["id"] for v in on_tuesday] == [monday_in_seattle.pk]


def test_a_visit_without_a_customer_or_a_located_site(client, technician, bearer, visit, account):
    account.latitude = account.longitude = None
    account.save()
    visit(datetime(2030, 6, 10, 10, tzinfo=LA), customer=None)

    [body] = client.get(URL, {"date": "2030-06-10"}, headers=bearer).json()

    assert (body["latitude"], body["longitude"], body["customer_first_name"]) == (None, None, "")


def test_a_fixed_number_of_queries_however_many_visits(
    client, technician, bearer, visit, django_assert_num_queries
):
    client.get(URL, {"date": "2030-06-10"}, headers=bearer)  # "last seen" written
    for hour in range(8, 16):
        other = CustomerFactory(service_account=technician.territories.first().accounts.first())
        visit(datetime(2030, 6, 10, hour, tzinfo=LA), customer=other)

    with django_assert_num_queries(2):  # the device, the visits
        response = client.get(URL, {"date": "2030-06-10"}, headers=bearer)

    assert len(response.json()) == 8


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"date": ""},
        {"date": "2030-13-01"},
        {"date": "2030-02-30"},
        {"date": "tomorrow"},
        {"date": "0"},
        {"date": "2030-06-10T00:00:00"},
        {"date": "0001-01-01"},
        {"date": "9999-12-31"},
    ],
)
def test_a_bad_date_is_422_naming_date(client, bearer, query):
    response = client.get(URL, query, headers=bearer)
    assert response.status_code == 422
    assert response.json()["field"] == "date"


def test_without_a_token_it_is_401(client):
    assert client.get(URL, {"date": "2030-06-10"}).status_code == 401
