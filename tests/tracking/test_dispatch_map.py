"""The dispatchers' map in admin: the day's technicians with their position's age and, for
the Traveling ones, the ETA; behind its own permission; a fixed number of queries."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from scheduling.models import Appointment
from tests.factories import ResourceFactory, ServiceAccountFactory, UserFactory
from tests.support.clock import LA
from tests.support.livemap import north_of, report, start_travel
from tests.support.mfa import sign_in_with_totp

pytestmark = pytest.mark.django_db

MAP = reverse("admin:tracking_dispatchmap_changelist")
STATE = reverse("admin:tracking_dispatchmap_state")


def visit(resource, *, hours_from_now: float, site=None, repair=None) -> Appointment:
    site = site or ServiceAccountFactory()
    start = timezone.now() + timedelta(hours=hours_from_now)
    return Appointment.objects.create(
        service_account=site, product=repair.products.first(), service_type=repair,
        resource=resource, start=start, end=start + timedelta(hours=1),
    )  # fmt: skip


@pytest.fixture
def day(technician, account, repair):
    """Terry on the way to Alice (10 km out, 30 s ago); Sam with a visit this afternoon and
    no position; Kim only tomorrow; Lee's only visit today canceled."""
    traveling = start_travel(visit(technician, hours_from_now=1, site=account, repair=repair))
    report(technician, north_of(account.point, 10), age=timedelta(seconds=30))
    sam = ResourceFactory(user__first_name="Sam", user__last_name="Stone")
    visit(sam, hours_from_now=4, repair=repair)
    kim = ResourceFactory(user__first_name="Kim", user__last_name="Kay")
    visit(kim, hours_from_now=24, repair=repair)
    lee = ResourceFactory(user__first_name="Lee", user__last_name="Lo")
    canceled = visit(lee, hours_from_now=2, repair=repair)
    Appointment.objects.filter(pk=canceled.pk).update(status=Appointment.Status.CANCELED)
    return traveling


def test_the_day_s_technicians_with_age_and_eta(admin_client, day, technician, account):
    board = admin_client.get(STATE).json()
    rows = {row["cells"][0]: row for row in board["technicians"]}

    assert sorted(rows) == ["Sam Stone", "Terry Tech"]
    terry = rows["Terry Tech"]
    # Dispatchers see the exact position.
    assert (terry["latitude"], terry["longitude"]) == north_of(account.point, 10)
    assert terry["cells"][1:] == [
        f"Traveling to {account}",
        "Updated 30 s ago",
        "About 15 min, around 9:15 AM PDT",
    ]
    assert terry["initials"] == "TT" and terry["stale"] is False
    sam = rows["Sam Stone"]
    start = (timezone.now() + timedelta(hours=4)).astimezone(LA)
    assert sam["cells"][1].endswith(f"at {start:%-I:%M %p} PDT")
    assert sam["cells"][2:] == ["No position", ""] and sam["latitude"] is None


def test_the_page_shows_the_table_without_javascript(admin_client, day, account):
    html = admin_client.get(MAP).content.decode()
    assert "<caption>The day's technicians</caption>" in html
    assert "<td>Terry Tech</td>" in html and "About 15 min, around 9:15 AM PDT" in html
    assert 'id="dispatch-map-state"' in html and "/static/js/live-map.js" in html


def test_a_stale_position_is_greyed_and_an_old_one_has_no_eta(admin_client, day, clock):
    with time_machine.travel(clock.now + timedelta(minutes=3), tick=False):
        terry = admin_client.get(STATE).json()["technicians"][1]
    assert terry["stale"] is True
    assert terry["cells"][2:] == ["Updated 3 min ago", "About 12 min, around 9:15 AM PDT"]

    with time_machine.travel(clock.now + timedelta(minutes=11), tick=False):
        terry = admin_client.get(STATE).json()["technicians"][1]
    assert terry["stale"] is True and terry["latitude"] is not None
    assert terry["cells"][2:] == ["Updated 11 min ago", ""]


def test_staff_without_the_permission_are_refused(client, day):
    staff = UserFactory(is_staff=True)
    sign_in_with_totp(client, staff)
    assert client.get(MAP).status_code == 403
    assert client.get(STATE).status_code == 403
    assert MAP not in client.get(reverse("admin:index")).content.decode()


def test_staff_with_the_permission_see_it(client, day):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_dispatch_map"))
    sign_in_with_totp(client, staff)
    assert client.get(MAP).status_code == 200
    assert client.get(STATE).status_code == 200
    assert MAP in client.get(reverse("admin:index")).content.decode()


def test_the_dispatchers_group_sees_it_with_one_permission_of_that_name(desk_client, day):
    assert desk_client.get(MAP).status_code == 200
    assert desk_client.get(STATE).json()["technicians"]
    assert MAP in desk_client.get(reverse("admin:index")).content.decode()
    assert Permission.objects.filter(codename="view_dispatch_map").count() == 1


def test_customers_cannot_reach_it(alice_client, day):
    assert alice_client.get(STATE).status_code == 302  # to admin's sign-in


def test_the_refresh_makes_the_same_queries_whatever_the_number_of_technicians(
    admin_client, day, repair
):
    admin_client.get(STATE)  # the booking rules, cached in the process from here on
    with CaptureQueriesContext(connection) as few:
        admin_client.get(STATE)
    for n in range(4):
        more = ResourceFactory(user__first_name=f"Extra{n}")
        start_travel(visit(more, hours_from_now=1, repair=repair))
        report(more, north_of((47.6, -122.3), n + 1))
    with CaptureQueriesContext(connection) as many:
        board = admin_client.get(STATE).json()
    assert len(board["technicians"]) == 6
    assert len(many) == len(few)
