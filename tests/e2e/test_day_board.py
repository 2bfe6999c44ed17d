"""The day board in headless Chromium, on the demo's data with a busy Seattle morning, as
Dina of the Dispatchers group sees it: Seattle's technicians as rows, a visit's block opens
the visit from the keyboard, on a phone the board scrolls sideways in its own region, and
axe finds nothing serious. It also takes README's pictures of the dispatcher's admin and of
the board: under var/screenshots/, and into docs/screenshots/ with UPDATE_SCREENSHOTS=1."""

import io
import os
import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from portal.models import User
from scheduling.models import (
    Appointment,
    Closure,
    Resource,
    ServiceAccount,
    ServiceType,
    Territory,
    TimeOff,
)
from tests.e2e.conftest import PHONE, assert_accessible, tab_to
from tests.e2e.test_live_map import sign_in
from tests.factories import CustomerFactory, UserFactory
from tests.support.clock import LA

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
BOARD = reverse("admin:scheduling_dayboard_changelist")
Status = Appointment.Status

# Today's visits in Seattle besides Alice's: technician, start, service type, state, customer.
MORNING = [
    ("tech01", "08:00", "Annual maintenance", Status.COMPLETED, "Ruth Rivera"),
    ("tech01", "10:30", "Gas furnace safety check", Status.SCHEDULED, "Sam Okafor"),
    ("tech01", "13:00", "Repair visit", Status.SCHEDULED, "Lena Fischer"),
    ("tech02", "08:00", "Installation survey", Status.IN_PROGRESS, "Tom Becker"),
    ("tech02", "13:30", "Installation survey", Status.SCHEDULED, "Ines Duarte"),
    ("tech03", "09:30", "Water heater service", Status.TRAVELING, "Kofi Mensah"),
    ("tech03", "11:00", "Repair visit", Status.SCHEDULED, "Yuki Sato"),
    ("tech04", "12:00", "Annual maintenance", Status.SCHEDULED, "Paul Martin"),
    ("tech05", "08:00", "Water heater service", Status.COMPLETED, "Ada Novak"),
    ("tech05", "14:00", "Repair visit", Status.SCHEDULED, "Raj Mehta"),
    ("tech07", "10:00", "Repair visit", Status.SCHEDULED, "Eva Lund"),
    ("tech08", "14:00", "Installation survey", Status.SCHEDULED, "Hugo Blanc"),
    ("tech14", "09:00", "Annual maintenance", Status.COMPLETED, "Mia Costa"),
    ("tech19", "11:30", "Repair visit", Status.SCHEDULED, "Leo Walsh"),
]


@pytest.fixture
def demo(clock, migrated_groups) -> date:
    """`manage.py seed_demo`, then a busy day in Seattle: today, or the next working day
    when today is a weekend or a holiday (under another --clock-at). Returns that day."""
    call_command("seed_demo", stdout=io.StringIO())
    day = clock.now.astimezone(LA).date()
    closed = set(Closure.objects.filter(territory__name="Seattle").values_list("date", flat=True))
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    sites = list(ServiceAccount.objects.filter(territory__name="Seattle"))
    for n, (tech, clock_at, kind, status, customer) in enumerate(MORNING):
        resource = Resource.objects.get(user__email=f"{tech}@example.com")
        service_type = ServiceType.objects.get(name=kind)
        start = _at(day, clock_at)
        end = start + service_type.duration
        if resource.appointments.filter(start__lt=end, end__gt=start).exists():
            continue  # one of Alice's visits is there
        first, last = customer.split()
        site = sites[n % len(sites)]
        Appointment.objects.create(
            service_account=site,
            customer=CustomerFactory(first_name=first, last_name=last, service_account=site),
            product=service_type.products.first(),
            service_type=service_type,
            resource=resource,
            start=start,
            end=end,
            status=status,
        )
    grace = Resource.objects.get(user__email="tech06@example.com")
    TimeOff.objects.create(
        resource=grace, start=_at(day, "12:00"), end=_at(day, "16:00"), reason="Training"
    )
    return day


def _at(day: date, clock: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LA)


@pytest.fixture
def dina(migrated_groups) -> User:
    user = UserFactory(email="dina@example.com", first_name="Dina", last_name="Desk", is_staff=True)
    user.groups.add(Group.objects.get(name="Dispatchers"))
    return user


def test_the_dispatcher_reads_the_day_and_opens_a_visit(
    page, context, live_server, clock, demo, dina
):
    sign_in(context, live_server, dina)
    page.goto(live_server.url + reverse("admin:scheduling_appointment_changelist"))
    expect(page.get_by_role("link", name="Day board")).to_have_count(2)  # the menu's too
    _screenshot(page, "dispatcher-admin.png")

    page.locator(".object-tools").get_by_role("link", name="Day board").click()
    today = clock.now.astimezone(LA).date()
    expect(page.get_by_role("heading", level=2)).to_have_text(
        f"Eastside, {today:%A} {today.day} {today:%B %Y}"
    )  # the first territory by name, today
    page.get_by_label("Territory").select_option(label="Seattle")
    page.get_by_label("Day", exact=True).fill(demo.isoformat())
    page.get_by_role("button", name="Show").click()
    board = page.get_by_role("table", name=re.compile("^Seattle's technicians"))
    expect(
        page.get_by_text(re.compile(r"Times in America/Los_Angeles\s+\(P[DS]T\)"))
    ).to_be_visible()
    expect(board.get_by_role("rowheader")).to_have_count(10)
    marcus = board.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Marcus Lee"))
    expect(marcus).to_contain_text("Free")
    assert_accessible(page)
    _screenshot(page, "day-board.png", full_page=True)

    visit = marcus.get_by_role("link", name="Visit, 10:30–11:30 Sam Okafor")
    tab_to(page, visit, max_presses=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Change appointment")
    expect(page.locator("body")).to_contain_text("Sam Okafor")


@pytest.mark.parametrize("viewport", [PHONE])
def test_on_a_phone_the_board_scrolls_in_its_own_region(page, context, live_server, demo, dina):
    sign_in(context, live_server, dina)
    seattle = Territory.objects.get(name="Seattle")
    page.goto(f"{live_server.url}{BOARD}?territory={seattle.pk}&day={demo.isoformat()}")
    region = page.get_by_role("region", name="Seattle's technicians")
    expect(region).to_be_visible()
    width = region.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert width[0] > width[1]  # wider than the phone: it scrolls, the page does not
    tab_to(page, region, max_presses=80)
    page.keyboard.press("ArrowRight")
    expect(region).not_to_have_js_property("scrollLeft", 0)
    assert_accessible(page)


def _screenshot(page, name: str, *, full_page: bool = False) -> None:
    shot = ROOT / "var" / "screenshots" / name
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=shot, full_page=full_page)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, ROOT / "docs" / "screenshots" / name)
