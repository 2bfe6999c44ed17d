"""Resources, their hours and time off, and the catalogue are kept per process until a
dispatcher's change commits; then the next request, in every process, sees it. These tests
commit (transaction=True), as the portal does, so the caches work as in production."""

from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling import planning
from scheduling.caches import bump_planning_version
from scheduling.models import WorkingHours
from tests.support.booking import add_busy_technicians, booking_form
from tests.support.clock import LA, next_weekday_at
from tests.support.mfa import sign_in_with_totp

pytestmark = pytest.mark.django_db(transaction=True)

SLOTS = reverse("scheduling:slots")
BOOK = reverse("scheduling:book")


def _monday_times(client, repair) -> list[str]:
    monday = next_weekday_at("00:00").date()
    response = client.get(SLOTS, {"service_type": repair.pk, "day": monday.isoformat()})
    assert response.status_code == 200
    values = [v.split('"')[0] for v in response.content.decode().split('value="')[1:]]
    return [f"{datetime.fromisoformat(v).astimezone(LA):%H:%M}" for v in values]


def _admin_data(page, **changes) -> dict:
    """What the admin change page posts when saved as shown, with `changes`."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is True:
                data[field.html_name] = "on"
            elif value is not None and value is not False and value != "":
                data[field.html_name] = value
    return data | changes


def test_hours_edited_in_admin_show_in_the_next_slots(alice_client, dispatcher, technician, repair):
    before = _monday_times(alice_client, repair)
    assert before[-1] == "15:00"  # Mon 08:00-16:00, one-hour visits

    admin = Client()
    sign_in_with_totp(admin, dispatcher)
    change = reverse("admin:scheduling_resource_change", args=[technician.pk])
    page = admin.get(change)
    monday = WorkingHours.objects.get(resource=technician, weekday=0)
    shown = [k for k, v in _admin_data(page).items() if k.endswith("-id") and v == monday.pk]
    prefix = shown[0].removesuffix("-id")
    saved = admin.post(change, _admin_data(page, **{f"{prefix}-end": "12:00"}))
    assert saved.status_code == 302, saved.context and saved.context["errors"]

    after = _monday_times(alice_client, repair)
    assert after[-1] == "11:00"
    assert after == before[: len(after)]


def test_another_process_change_shows_once_it_bumps_the_version(alice_client, technician, repair):
    before = _monday_times(alice_client, repair)
    # Another process changes the hours: the rows change under this one, which keeps what
    # it loaded ...
    WorkingHours.objects.filter(resource=technician, weekday=0).update(end="12:00")
    assert _monday_times(alice_client, repair) == before
    # ... until that process's commit bumps the version in the shared cache.
    bump_planning_version()
    assert _monday_times(alice_client, repair)[-1] == "11:00"


def test_the_slots_take_three_statements_however_many_resources_and_appointments(
    alice_client, alice, account, technician, repair
):
    _monday_times(alice_client, repair)  # loads this process's caches
    with CaptureQueriesContext(connection) as few:
        _monday_times(alice_client, repair)
    add_busy_technicians(account, alice, repair, next_weekday_at("09:00"))
    _monday_times(alice_client, repair)
    with CaptureQueriesContext(connection) as many:
        _monday_times(alice_client, repair)
    # The session, the user with their site, the appointments.
    assert len(few) == len(many) == 3, [q["sql"][:80] for q in many]


def _book(client, repair, clock: str):
    # Visits alike by design: confirmed past the similar-visit warning (one statement more
    # when it is not).
    form = booking_form(repair, next_weekday_at(clock), confirm_similar="on")
    with CaptureQueriesContext(connection) as statements:
        response = client.post(BOOK, form)
    assert response.status_code == 302
    return statements


def test_a_booking_takes_eleven_statements_however_many_resources_and_appointments(
    alice_client, alice, account, technician, repair
):
    _book(alice_client, repair, "10:00")  # loads this process's caches
    few = _book(alice_client, repair, "11:00")
    add_busy_technicians(account, alice, repair, next_weekday_at("11:00"))
    _book(alice_client, repair, "13:00")
    many = _book(alice_client, repair, "14:00")
    # Session, user with site; BEGIN; the candidates' appointments; SAVEPOINT, lock, fresh
    # appointments (the winner's savepoint is left to the commit); appointment, event, mail;
    # COMMIT.
    assert len(few) == len(many) == 11, [q["sql"][:80] for q in many]


def test_a_request_reads_the_planning_version_from_the_shared_cache_once(
    alice_client, technician, repair, monkeypatch
):
    from scheduling import caches

    reads = []
    shared = caches._shared_version
    monkeypatch.setattr(caches, "_shared_version", lambda: reads.append(1) or shared())

    _monday_times(alice_client, repair)  # the catalogue, then the planning data
    _book(alice_client, repair, "10:00")

    assert len(reads) == 2  # one per request
    caches.planning_version()
    caches.planning_version()
    assert len(reads) == 4  # outside a request (a task, a command): every time


def test_a_lost_bump_fails_no_change_and_the_version_expires_anyway(
    technician, monkeypatch, caplog
):
    from django.core.cache import cache

    from scheduling import caches

    def unreachable():
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(caches, "bump_planning_version", unreachable)
    hours = WorkingHours.objects.filter(resource=technician).first()
    hours.end = hours.end.replace(hour=12)
    hours.save()  # commits (autocommit), then the bump fails

    assert WorkingHours.objects.get(pk=hours.pk).end.hour == 12
    assert "the cache is down" in caplog.text
    caches.planning_version()
    key = cache.make_and_validate_key(caches.PLANNING_VERSION_KEY)
    assert 0 < cache._cache.get_client(write=False).ttl(key) <= caches.PLANNING_VERSION_TTL


def test_a_technicians_day_is_worked_out_once_whichever_request_asks(
    alice_client, technician, repair
):
    """Each day's working windows are kept per technician and day: the slots of Monday, then
    of Tuesday (whose shifts are looked for from the day before), work Monday out once."""
    monday = next_weekday_at("00:00").date()
    tuesday = monday + timedelta(days=1)
    worked_out = []
    real = planning.day_windows

    def counting(rows, zone, day):
        worked_out.append(day)
        return real(rows, zone, day)

    with mock.patch.object(planning, "day_windows", counting):
        for day in (monday, tuesday, monday):
            response = alice_client.get(SLOTS, {"service_type": repair.pk, "day": day})
            assert response.status_code == 200

    assert worked_out.count(monday) == 1
    assert worked_out.count(tuesday) == 1
