"""`manage.py simulate_technicians`: the demo's Traveling technicians drive toward their sites,
their positions posted to the real API every few seconds (a device paired for each), and
stop at the site."""

import random
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from scheduling import services
from scheduling.models import Appointment
from tests.conftest import wait_for
from tracking import positions
from tracking.models import Device, Ping
from tracking.positions import Position
from tracking.simulator import DEVICE_NAME, Simulator, distance_m, starting_point, step

SITE = (47.6205, -122.3493)  # Alice's site, 400 Broad St (tests.factories)
HOME = (47.6097, -122.3422)  # Terry's home base, Pike Place: 1.3 km south-east of it
Status = Appointment.Status


@pytest.fixture
def traveling(account, alice, technician, repair) -> Appointment:
    """Terry's visit to Alice, on the way."""
    start = timezone.now() + timedelta(minutes=20)
    return Appointment.objects.create(
        service_account=account, customer=alice, product=repair.products.first(),
        service_type=repair, resource=technician, start=start, end=start + timedelta(hours=1),
        status=Status.TRAVELING,
    )  # fmt: skip


class Clock:
    """The simulator's clock, moved on by hand: a tick is five seconds of driving."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def stored(technician) -> list[Ping]:
    return list(Ping.objects.filter(resource=technician).order_by("recorded_at"))


def latest_at_site(technician) -> Position | None:
    latest = positions.latest(technician.pk)
    return latest if latest and (latest.latitude, latest.longitude) == SITE else None


# --- The road, without a database -----------------------------------------------------------


def test_a_step_goes_its_distance_straight_toward_the_site():
    moved = step(HOME, SITE, 100)

    here = (moved.latitude, moved.longitude)
    assert distance_m(HOME, here) == pytest.approx(100, abs=0.01)
    assert distance_m(here, SITE) == pytest.approx(distance_m(HOME, SITE) - 100, abs=0.01)
    assert moved.remaining_m == pytest.approx(distance_m(HOME, SITE) - 100, abs=0.01)
    assert 320 < moved.heading < 340  # north-north-west
    assert not moved.arrived


def test_a_step_stops_at_the_site_and_never_passes_it():
    moved = step(HOME, SITE, 5_000)

    assert (moved.latitude, moved.longitude, moved.remaining_m, moved.arrived) == (
        *SITE,
        0.0,
        True,
    )


# --- Where a trip starts ----------------------------------------------------------------------


def _seen(technician, place, *, ago: timedelta) -> None:
    at = timezone.now() - ago
    positions.advance(technician.pk, Position(*place, 10.0, recorded_at=at, received_at=at))


@pytest.mark.django_db
def test_a_trip_goes_on_from_a_recent_position_short_of_the_site(technician):
    midway = (47.6150, -122.3460)
    _seen(technician, midway, ago=timedelta(minutes=2))

    assert starting_point(technician, SITE, now=timezone.now()) == midway


@pytest.mark.django_db
@pytest.mark.parametrize(
    "place, ago",
    [(SITE, timedelta(minutes=1)), ((47.6150, -122.3460), timedelta(minutes=11))],
    ids=["already at the site", "seen too long ago"],
)
def test_a_trip_starts_at_home_otherwise(technician, place, ago):
    _seen(technician, place, ago=ago)

    assert starting_point(technician, SITE, now=timezone.now()) == HOME


@pytest.mark.django_db
def test_a_technician_without_home_or_position_is_not_moved(technician):
    technician.home_latitude = technician.home_longitude = None

    assert starting_point(technician, SITE, now=timezone.now()) is None


# --- Through the real API and the ingest worker ---------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_it_drives_to_the_site_through_the_api_and_stops_there(
    live_server, ingest_worker, technician, traveling
):
    said, clock = [], Clock()
    simulator = Simulator(
        base_url=live_server.url, speed_kmh=40, say=said.append, clock=clock, rng=random.Random(7)
    )
    ticks = 0
    while ticks < 60 and (ticks == 0 or simulator.driving):
        simulator.tick()
        clock.now += 5
        ticks += 1
    for _ in range(3):  # arrived: it sends nothing more
        simulator.tick()
        clock.now += 5

    assert not simulator.driving
    assert said == [
        "Terry Tech drives to 400 Broad St, Seattle, WA 98109, USA (1.3 km at about 40 km/h).",
        "Terry Tech arrived at 400 Broad St, Seattle, WA 98109, USA.",
    ]
    device = Device.objects.get(name=DEVICE_NAME)
    assert device.resource == technician and device.paired_at is not None
    # Every post reached the API and the worker stored it: one point a tick until arrival.
    assert wait_for(lambda: len(stored(technician)) == ticks), (len(stored(technician)), ticks)
    pings = stored(technician)
    assert {p.device_id for p in pings} == {device.pk}
    assert (pings[0].latitude, pings[0].longitude) == HOME
    assert (pings[-1].latitude, pings[-1].longitude, pings[-1].speed) == (*SITE, 0.0)
    left = [distance_m((p.latitude, p.longitude), SITE) for p in pings]
    assert left == sorted(left, reverse=True) and len(set(left)) == len(left)  # always closer
    # 40 km/h give or take a fifth, heading north-north-west.
    assert all(40 * 0.8 / 3.6 <= p.speed <= 40 * 1.2 / 3.6 for p in pings[:-1])
    assert all(320 < p.heading < 340 for p in pings)
    latest = wait_for(lambda: latest_at_site(technician))
    assert latest.recorded_at == pings[-1].recorded_at


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_technician_who_turned_back_is_no_longer_moved(
    live_server, ingest_worker, technician, traveling, dispatcher
):
    said, clock = [], Clock()
    simulator = Simulator(base_url=live_server.url, speed_kmh=40, say=said.append, clock=clock)
    for _ in range(2):
        simulator.tick()
        clock.now += 5

    services.transition(appointment=traveling, to=Status.SCHEDULED, by=dispatcher)
    simulator.tick()

    assert not simulator.trips
    assert said[-1] == "Terry Tech: the visit is no longer Traveling; stopped."
    assert wait_for(lambda: len(stored(technician)) == 2)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_command_runs_until_everyone_arrived(
    live_server, ingest_worker, technician, traveling, settings, capsys
):
    settings.DEBUG = True
    # 300 m from the site, at 300 km/h: there in a few seconds of real time.
    technician.home_latitude, technician.home_longitude = 47.6178, -122.3493
    technician.save(update_fields=["home_latitude", "home_longitude"])

    call_command(
        "simulate_technicians", "--base-url", live_server.url, "--every", "0.05",
        "--speed", "300", "--until-arrived",
    )  # fmt: skip

    out = capsys.readouterr().out
    assert "Terry Tech drives to 400 Broad St" in out
    assert "Terry Tech arrived at 400 Broad St" in out
    assert wait_for(lambda: latest_at_site(technician))


@pytest.mark.django_db
def test_with_nobody_traveling_it_says_so_and_stops(settings, capsys):
    settings.DEBUG = True

    call_command("simulate_technicians", "--until-arrived", "--every", "0.01")

    assert capsys.readouterr().out == "Nobody is traveling.\n"


def test_it_refuses_to_run_outside_the_demo(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        call_command("simulate_technicians")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--speed", "350"], "faster than the API accepts"),
        (["--speed", "fast"], "give km/h"),
        (["--every", "0"], "give seconds"),
        (["--base-url", "127.0.0.1:8000"], "give the portal's address"),
    ],
)
def test_bad_options_are_refused(settings, args, message):
    settings.DEBUG = True

    with pytest.raises(CommandError, match=message):
        call_command("simulate_technicians", *args)
