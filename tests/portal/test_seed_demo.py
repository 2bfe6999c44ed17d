import itertools
import re
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from portal.models import Invitation, OutboxMessage, User
from scheduling.caches import planning_version
from scheduling.models import (
    Appointment,
    AppointmentEvent,
    Characteristic,
    Closure,
    Product,
    Resource,
    SchedulingSettings,
    ServiceAccount,
    ServiceType,
    Territory,
    TimeOff,
    WorkingHours,
)
from tests.support.mfa import totp_code

pytestmark = pytest.mark.django_db

MODELS = [
    User,
    Territory,
    ServiceAccount,
    Invitation,
    Characteristic,
    Product,
    ServiceType,
    Resource,
    WorkingHours,
    TimeOff,
    SchedulingSettings,
    Appointment,
    AppointmentEvent,
    Authenticator,
]


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", base_url="http://127.0.0.1:8000", stdout=out)
    return out.getvalue()


def test_the_demo_data_can_be_loaded_again_without_duplicates():
    first = _seed()
    counts = {m.__name__: m.objects.count() for m in MODELS}
    second = _seed()

    assert {m.__name__: m.objects.count() for m in MODELS} == counts
    assert counts == {
        "User": 22,
        "Territory": 3,
        "ServiceAccount": 5,
        "Invitation": 1,
        "Characteristic": 4,
        "Product": 4,
        "ServiceType": 6,
        "Resource": 20,
        "WorkingHours": 117,
        "TimeOff": 1,
        "SchedulingSettings": 1,
        "Appointment": 7,
        "AppointmentEvent": 17,
        "Authenticator": 1,
    }
    code = Invitation.objects.get().display_code
    for output in (first, second):
        assert f"open http://127.0.0.1:8000/redeem/?code={code}" in output
        assert "alice@example.com / alice-demo-2026" in output
    assert OutboxMessage.objects.filter(to="bob@example.com").count() == 1
    assert not OutboxMessage.objects.exclude(to="bob@example.com").exists()


def test_the_demo_customer_can_sign_in(client):
    _seed()
    assert client.login(email="alice@example.com", password="alice-demo-2026")
    alice = User.objects.get(email="alice@example.com")
    assert alice.service_account.time_zone == "America/Los_Angeles"
    assert alice.emailaddress_set.get().verified


def test_the_demo_dispatcher_is_a_dispatcher_not_a_superuser():
    _seed()
    dana = User.objects.get(email="dispatcher@example.com")
    assert dana.is_staff and not dana.is_superuser
    assert list(dana.groups.values_list("name", flat=True)) == ["Dispatchers"]
    assert not User.objects.filter(is_superuser=True).exists()


def test_a_demo_loaded_before_gets_its_superuser_dispatcher_in_line():
    User.objects.create_superuser("dispatcher@example.com", "dispatch-demo-2026")
    _seed()
    dana = User.objects.get(email="dispatcher@example.com")
    assert not dana.is_superuser and dana.groups.filter(name="Dispatchers").exists()


def test_the_demo_dispatcher_signs_in_with_the_printed_secret(client):
    output = _seed()
    secret = re.search(r"set up with the secret\s+([A-Z2-7]+)", output)[1]
    assert f"otpauth://totp/dispatcher%40example.com?secret={secret}&issuer=" in output
    assert "manage.py totp_code dispatcher@example.com" in output

    admin = reverse("admin:index")
    signed_in = client.post(
        reverse("account_login"),
        {"login": "dispatcher@example.com", "password": "dispatch-demo-2026", "next": admin},
    )
    assert signed_in["Location"] == reverse("mfa_authenticate")
    given = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert given["Location"] == admin
    assert client.get(admin).status_code == 200


def test_the_printed_code_redeems(client):
    output = _seed()
    code = re.search(r"code ([0-9A-Z-]+)", output)[1]
    response = client.post("/redeem/", {"code": code})
    assert response["Location"] == "/redeem/profile/"


def test_alice_has_an_appointment_in_every_state_each_with_history():
    _seed()
    alice = User.objects.get(email="alice@example.com")
    appointments = Appointment.objects.filter(customer=alice, service_account=alice.service_account)

    assert {a.status for a in appointments} == set(Appointment.Status)
    for appointment in appointments:
        events = list(appointment.events.all())
        assert events[0].kind == AppointmentEvent.Kind.BOOKED
        assert events[-1].to_status == appointment.status
    canceled = appointments.get(status=Appointment.Status.CANCELED)
    assert canceled.cancel_reason


def test_the_future_visits_are_on_weekdays_in_the_technicians_hours():
    _seed()
    now = timezone.now()
    zone = ZoneInfo("America/Los_Angeles")
    for appointment in Appointment.objects.filter(status=Appointment.Status.SCHEDULED):
        start, end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
        assert start > now
        assert start.weekday() < 5
        assert start.minute in (0, 30)
        assert appointment.resource.hours.filter(
            weekday=start.weekday(), start__lte=start.time(), end__gte=end.time()
        ).exists()


def test_no_resource_is_double_booked_and_each_serves_the_site():
    _seed()
    active = list(
        Appointment.objects.filter(status__in=Appointment.ACTIVE).order_by("resource", "start")
    )
    for before, after in itertools.pairwise(active):
        if before.resource_id == after.resource_id:
            assert before.end <= after.start
    for appointment in Appointment.objects.select_related("service_account"):
        assert appointment.resource.territories.filter(
            pk=appointment.service_account.territory_id
        ).exists()
        required = set(appointment.service_type.required_characteristics.all())
        assert required <= set(appointment.resource.characteristics.all())


def test_every_technician_has_hours_and_some_have_split_days_or_saturdays():
    _seed()
    resources = Resource.objects.all()

    assert all(r.hours.exists() for r in resources)
    assert all(1 <= r.territories.count() <= 2 for r in resources)
    split = [r for r in resources if r.hours.filter(weekday=0).count() == 2]
    saturday = [r for r in resources if r.hours.filter(weekday=5).exists()]
    assert split and saturday
    assert ServiceType.objects.filter(bookable_on_portal=False).exists()


def test_loading_tells_running_portals_that_hours_changed():
    # The hours go in with bulk_create, which sends no signal: a portal already running
    # would otherwise keep offering the old hours.
    before = planning_version()
    _seed()
    assert planning_version() != before


# Pacific instants: before dawn on a Monday, mid-morning, late afternoon, late on a Friday,
# and a Sunday night: the visits keep to the site's working day whenever the demo is loaded.
SEEDED_AT = [
    "2026-11-30T02:10-08:00",
    "2026-11-30T10:20-08:00",
    "2026-12-01T16:40-08:00",
    "2026-12-04T22:50-08:00",
    "2027-03-14T23:15-07:00",
]


@pytest.mark.parametrize("instant", SEEDED_AT)
def test_visits_are_seeded_in_the_sites_working_hours_in_its_zone(instant):
    with time_machine.travel(datetime.fromisoformat(instant).timestamp(), tick=False):
        _seed()
    for appointment in Appointment.objects.select_related("service_account"):
        zone = ZoneInfo(appointment.service_account.time_zone)
        start, end = appointment.start.astimezone(zone), appointment.end.astimezone(zone)
        assert start.date() == end.date()
        assert time(8) <= start.time() and end.time() <= time(17), (appointment.status, start)
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert statuses == set(Appointment.Status)


def test_the_regions_public_holidays_in_the_horizon_close_every_territory():
    # Pinned on Tuesday 4 June 2030; the horizon (30 days) reaches Juneteenth and July 4th.
    _seed()
    horizon = SchedulingSettings.current().horizon_days
    today = timezone.localdate(timezone=ZoneInfo("America/Los_Angeles"))
    closures = Closure.objects.all()
    assert {c.date for c in closures} == {date(2030, 6, 19), date(2030, 7, 4)}
    assert all(today <= c.date <= today + timedelta(days=horizon) for c in closures)
    assert closures.count() == 2 * Territory.objects.count()
    assert closures.get(date=date(2030, 7, 4), territory__name="Seattle").name == (
        "Independence Day"
    )
    _seed()
    assert Closure.objects.count() == closures.count()  # loaded again, no duplicates


def test_a_demo_holiday_offers_no_times(client):
    _seed()
    client.login(email="alice@example.com", password="alice-demo-2026")
    visit = ServiceType.objects.get(name="Repair visit")
    response = client.get(
        reverse("scheduling:slots"), {"service_type": visit.pk, "day": "2030-06-19"}
    )
    html = response.content.decode()
    assert "Closed for Juneteenth National Independence Day." in html
    assert 'name="start"' not in html


def test_stop_times_read_on_sqlite_are_taken_as_utc():
    """Under `make run` (SQLite) Django's converters hand the raw query datetimes, not text:
    seeding a visit next to another one read them."""
    from scheduling.planning import _instant

    naive = datetime(2026, 12, 7, 16, 0)
    utc = naive.replace(tzinfo=ZoneInfo("UTC"))
    assert _instant(naive) == _instant("2026-12-07 16:00:00") == _instant(utc.timestamp()) == utc
