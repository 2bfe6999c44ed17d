"""The on-the-way notices: on the way when a visit turns Traveling (from the technician's API
or admin), arriving soon and running late when a new position makes them due, each at most
once per visit, none to a customer who unsubscribed. The mails are built as the worker
builds them (tests/support/mail.py)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import resolve, reverse

from portal.models import OutboxMessage
from scheduling import services
from scheduling.models import Appointment
from tests.factories import CustomerFactory
from tests.support.clock import next_weekday_at
from tests.support.mail import body, built
from tests.tracking.conftest import API, batch, pair, post
from tests.tracking.notices import KM_PER_DEGREE, link, notices_sent, place, visit
from tracking import notices, positions
from tracking.models import Notice, NoticeOptOut

pytestmark = pytest.mark.django_db
Status = Appointment.Status
Kind = Notice.Kind


@pytest.fixture
def soon(clock, account, alice, technician, repair):
    """Alice's visit at 9:30, half an hour from the pinned 9:00 (PDT), still Scheduled."""
    start = clock.now + timedelta(minutes=30)
    return visit(account, technician, repair, customer=alice, start=start)


@pytest.fixture
def start_travel(dispatcher, django_capture_on_commit_callbacks):
    """Turn a visit Traveling as any caller does, the signal after commit included."""

    def start(appointment, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            services.transition(
                appointment=appointment, to=Status.TRAVELING, by=dispatcher, **kwargs
            )

    return start


# --- On the way --------------------------------------------------------------------------


def test_the_technicians_api_starting_travel_sends_on_the_way_with_the_estimate(
    client, bearer, soon, account, technician, django_capture_on_commit_callbacks
):
    place(technician, account, km=12)  # 12 km at the 40 km/h travel speed: 18 minutes
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{API}appointments/{soon.pk}/status",
            {"status": "traveling"},
            content_type="application/json",
            headers=bearer,
        )
    assert response.status_code == 200

    [row] = notices_sent(Kind.ON_THE_WAY)
    assert row.to == "alice@example.com"
    text = body(row)
    assert "on the way to 400 Broad St, Seattle, WA 98109, USA for your Repair visit." in text
    assert "about 18 minutes, around 9:18 AM PDT" in text
    # Caused by a device, not by someone at a browser: links go to the portal's address.
    assert link(text, "/map/") == f"{settings.PORTAL_BASE_URL}/appointments/{soon.pk}/map/"
    notice = Notice.objects.get()
    assert (notice.appointment_id, notice.kind) == (soon.pk, Kind.ON_THE_WAY)


def test_admin_starting_travel_sends_on_the_way_linking_to_admins_host(
    admin_client, soon, account, technician, django_capture_on_commit_callbacks
):
    place(technician, account, km=12)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:scheduling_appointment_changelist"),
            {"action": "mark_traveling", "_selected_action": [soon.pk]},
        )

    soon.refresh_from_db()
    assert soon.status == Status.TRAVELING
    [row] = notices_sent(Kind.ON_THE_WAY)
    assert link(body(row), "/map/") == f"http://testserver/appointments/{soon.pk}/map/"


def test_the_estimate_is_told_on_the_customers_clock(
    soon, alice, account, technician, start_travel
):
    alice.time_zone = "America/New_York"
    alice.save()
    place(technician, account, km=12)
    start_travel(soon)

    assert "around 12:18 PM EDT" in body(notices_sent(Kind.ON_THE_WAY).get())


@pytest.mark.parametrize("age", [None, timedelta(minutes=11)], ids=["no position", "stale"])
def test_without_a_recent_position_on_the_way_promises_an_update(
    soon, account, technician, start_travel, clock, age
):
    if age is not None:
        place(technician, account, km=12, at=clock.now - age)
    start_travel(soon)

    text = body(notices_sent(Kind.ON_THE_WAY).get())
    assert "We cannot tell yet when they will arrive; we'll update you." in text
    assert "minutes" not in text
    assert Notice.objects.get().arrival is None


def test_the_live_map_link_opens_that_visits_map_for_its_customer_only(
    client, soon, alice, start_travel
):
    start_travel(soon)
    url = link(body(notices_sent(Kind.ON_THE_WAY).get()), "/map/")
    path = url.removeprefix(settings.PORTAL_BASE_URL)

    match = resolve(path)
    assert (match.view_name, match.kwargs) == ("tracking:live_map", {"pk": soon.pk})
    client.force_login(alice)
    assert client.get(path).status_code == 200
    client.force_login(CustomerFactory())
    assert client.get(path).status_code == 404


def test_each_notice_carries_its_unsubscribe_link_in_the_text_and_the_headers(
    soon, account, technician, start_travel
):
    place(technician, account, km=12)
    start_travel(soon)

    mail = built(notices_sent(Kind.ON_THE_WAY).get())
    unsubscribe = link(mail.body, "/notices/unsubscribe/")
    headers = mail.message()
    assert headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_on_the_way_goes_once_even_when_the_technician_turns_back_and_sets_off_again(
    soon, dispatcher, start_travel, django_capture_on_commit_callbacks
):
    start_travel(soon)
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(appointment=soon, to=Status.SCHEDULED, by=dispatcher)
    start_travel(soon)

    assert notices_sent(Kind.ON_THE_WAY).count() == 1


def test_other_transitions_send_no_notice(
    appointment, dispatcher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(appointment=appointment, reason="Moving", by=dispatcher)
    assert not notices_sent().exists()


# --- Arriving soon and running late, as positions arrive ----------------------------------


@pytest.fixture
def traveling(soon, start_travel):
    start_travel(soon)
    return soon


def test_arriving_soon_goes_once_the_estimate_drops_under_the_setting(
    traveling, account, technician
):
    far = place(technician, account, km=7.5)  # 12 minutes away
    assert notices.position_moved(technician.pk, far) == []

    near = place(technician, account, km=5.5)  # 9 minutes away
    assert notices.position_moved(technician.pk, near) == [Kind.ARRIVING_SOON]

    nearer = place(technician, account, km=2)
    assert notices.position_moved(technician.pk, nearer) == []
    [row] = notices_sent(Kind.ARRIVING_SOON)
    assert "about 9 minutes away and should arrive around 9:09 AM PDT" in body(row)
    assert f"/appointments/{traveling.pk}/map/" in body(row)


def test_the_arriving_soon_threshold_is_a_setting(traveling, account, technician, settings):
    settings.NOTICE_ARRIVING_SOON_MINUTES = 15
    position = place(technician, account, km=7.5)  # 12 minutes away
    assert notices.position_moved(technician.pk, position) == [Kind.ARRIVING_SOON]


def test_at_the_door_arriving_soon_says_now(traveling, account, technician):
    position = place(technician, account, km=0.05)
    assert notices.position_moved(technician.pk, position) == [Kind.ARRIVING_SOON]
    assert "Your technician is arriving now (9:00 AM PDT)." in body(notices_sent().last())


def test_running_late_goes_when_the_estimate_passes_the_arrival_window(
    traveling, account, technician, settings
):
    settings.CONTACT_PHONE = "+1 206 555 0100"
    settings.CONTACT_EMAIL = "help@example.com"
    # The window is 9:30 to 9:45 (the start plus NOTICE_ARRIVAL_WINDOW_MINUTES, 15).
    on_time = place(technician, account, km=28)  # 42 minutes: 9:42
    assert notices.position_moved(technician.pk, on_time) == []

    late = place(technician, account, km=32)  # 48 minutes: 9:48
    assert notices.position_moved(technician.pk, late) == [Kind.RUNNING_LATE]

    later = place(technician, account, km=40)
    assert notices.position_moved(technician.pk, later) == []
    text = body(notices_sent(Kind.RUNNING_LATE).get())
    assert "arrive around 9:48 AM PDT (in about 48 minutes)" in text
    assert "after the arrival window of 9:30 AM – 9:45 AM PDT" in text
    assert "reach us at +1 206 555 0100 or at help@example.com" in text
    assert f"/appointments/{traveling.pk}/map/" in text


def test_the_arrival_window_is_a_setting(traveling, account, technician, settings):
    settings.NOTICE_ARRIVAL_WINDOW_MINUTES = 0
    position = place(technician, account, km=22)  # 33 minutes: 9:33, after 9:30
    assert notices.position_moved(technician.pk, position) == [Kind.RUNNING_LATE]


def test_a_stale_position_makes_no_notice_due(traveling, account, technician, clock):
    old = place(technician, account, km=1, at=clock.now - timedelta(minutes=11))
    assert notices.position_moved(technician.pk, old) == []


def test_a_visit_no_longer_traveling_gets_none_even_from_a_stale_cached_trip(
    traveling, account, technician, dispatcher
):
    assert notices.position_moved(technician.pk, place(technician, account, km=20)) == []
    # Changed behind the cache's back (the signal that drops the entry never came).
    Appointment.objects.filter(pk=traveling.pk).update(status=Status.IN_PROGRESS)

    assert notices.position_moved(technician.pk, place(technician, account, km=1)) == []
    assert not notices_sent(Kind.ARRIVING_SOON).exists()


def test_a_batch_costs_one_cache_lookup_once_the_trip_is_read(
    traveling, account, technician, django_assert_num_queries
):
    # The technician's trip, then cached; the booking rules' travel speed, kept per process.
    with django_assert_num_queries(2):
        notices.position_moved(technician.pk, place(technician, account, km=20))
    with django_assert_num_queries(0):
        notices.position_moved(technician.pk, place(technician, account, km=19))


def test_a_technician_not_traveling_costs_one_cache_lookup(
    appointment, account, technician, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert notices.position_moved(technician.pk, place(technician, account, km=1)) == []
    with django_assert_num_queries(0):
        assert notices.position_moved(technician.pk, place(technician, account, km=1)) == []


@pytest.mark.parametrize("redis", [True, False], ids=["redis", "no redis (make run)"])
def test_pings_through_the_api_send_arriving_soon_once(
    client, traveling, account, technician, settings, redis
):
    """With tasks in-process the ingest task runs in the request: the same path. Without
    Redis the latest position is a row and the trip sits in Django's cache."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.INGEST_ACCEPT_WHEN = "always"
    if not redis:
        settings.REDIS_URL = ""
    phone = pair(technician)
    points = batch(3)
    for point in points:
        point.update(latitude=account.latitude + 3 / KM_PER_DEGREE, longitude=account.longitude)
    assert post(client, phone, {"pings": points}).json()["accepted"] == 3
    post(client, phone, {"pings": points})  # sent again: stored once, told once
    assert notices_sent(Kind.ARRIVING_SOON).count() == 1

    notices.forget(technician.pk)
    assert notices.position_moved(technician.pk, positions.latest(technician.pk)) == []


# --- Unsubscribed ------------------------------------------------------------------------


def test_an_unsubscribed_customer_gets_none_of_the_notices_but_still_booking_mail(
    soon, alice, account, technician, repair, heat_pump, start_travel
):
    NoticeOptOut.objects.create(customer=alice)
    place(technician, account, km=40)
    start_travel(soon)
    assert notices.position_moved(technician.pk, place(technician, account, km=40)) == []
    assert notices.position_moved(technician.pk, place(technician, account, km=1)) == []
    assert not notices_sent().exists()
    assert not Notice.objects.exists()

    services.book(
        account=account, customer=alice, product=heat_pump, service_type=repair,
        start=next_weekday_at("14:00"),
    )  # fmt: skip
    assert OutboxMessage.objects.filter(subject="Your service visit is booked").exists()
