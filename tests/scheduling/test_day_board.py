"""The dispatchers' day board in admin: one territory's technicians as rows, their visits as
blocks on the day's time axis (each a link to the visit), free time, time off and closed
days, read on the territory's clock. Opened as Dina of the Dispatchers group."""

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.models import Appointment, Closure, TimeOff
from tests.factories import (
    AppointmentFactory,
    CustomerFactory,
    ResourceFactory,
    ServiceAccountFactory,
    ServiceTypeFactory,
    TerritoryFactory,
    UserFactory,
)
from tests.support.clock import LA
from tests.support.mfa import sign_in_with_totp

pytestmark = pytest.mark.django_db

BOARD = reverse("admin:scheduling_dayboard_changelist")
Status = Appointment.Status


class BoardPage(HTMLParser):
    """What the board's table says, row by row: the technician's header and each block's
    kind, words (as a screen reader reads them) and link."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: dict[str, list[dict]] = {}
        self._row: list | None = None
        self._header: list[str] | None = None
        self._block: dict | None = None
        self._in_board = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._in_board = attrs.get("class") == "day-board"
        elif tag == "th" and attrs.get("scope") == "row" and self._in_board:
            self._header = []
        elif tag == "li" and "day-board-block" in (attrs.get("class") or ""):
            classes = attrs["class"].split()
            self._block = {
                "kind": next(c[3:] for c in classes if c.startswith("is-")),
                "at": next(c for c in classes if c.startswith("from-")),
                "until": next(c for c in classes if c.startswith("until-")),
                "words": [],
                "href": None,
            }
        elif tag == "a" and self._block is not None:
            self._block["href"] = attrs["href"]

    def handle_endtag(self, tag):
        if tag == "th" and self._header is not None:
            self._row = self.rows.setdefault(" ".join(self._header), [])
            self._header = None
        elif tag == "li" and self._block is not None:
            self._block["text"] = " ".join(self._block.pop("words"))
            self._row.append(self._block)
            self._block = None

    def handle_data(self, data):
        words = data.split()
        if self._header is not None:
            self._header.extend(words)
        elif self._block is not None:
            self._block["words"].extend(words)


def board(client, **params) -> BoardPage:
    response = client.get(BOARD, params)
    assert response.status_code == 200, response.content.decode()[:2000]
    return BoardPage(response.content.decode())


def change_url(appointment) -> str:
    return reverse("admin:scheduling_appointment_change", args=[appointment.pk])


@pytest.fixture
def day() -> date:
    """A Tuesday, the board's day in these tests."""
    return date(2030, 6, 11)


def at(day: date, clock: str, zone=LA) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


@pytest.fixture
def territory(account):
    return account.territory


@pytest.fixture
def terry(territory):
    return ResourceFactory(
        territories=[territory], user__first_name="Terry", user__last_name="Tech"
    )


@pytest.fixture
def uma(territory):
    """Works a split day."""
    return ResourceFactory(
        territories=[territory],
        user__first_name="Uma",
        user__last_name="Upton",
        works=["Mon-Fri 08:00-12:00", "Mon-Fri 13:00-17:00"],
    )


@pytest.fixture
def visit(account, alice, terry, repair, day):
    return AppointmentFactory(
        service_account=account,
        customer=alice,
        resource=terry,
        service_type=repair,
        start=at(day, "10:00"),
    )


def test_the_territorys_technicians_are_rows_and_their_visits_link_to_each_visit(
    desk_client, territory, terry, uma, visit, day
):
    other = ResourceFactory(user__first_name="Olive", user__last_name="Other")
    AppointmentFactory(resource=other, start=at(day, "09:00"))
    ResourceFactory(
        territories=[territory], active=False, user__first_name="Ian", user__last_name="Idle"
    )

    page = board(desk_client, territory=territory.pk, day=day.isoformat())

    assert list(page.rows) == [
        "Terry Tech Works 08:00–16:00",
        "Uma Upton Works 08:00–12:00, 13:00–17:00",
    ]
    [block] = [b for b in page.rows["Terry Tech Works 08:00–16:00"] if b["kind"] == "visit"]
    assert block["href"] == change_url(visit)
    assert block["text"] == "Visit, 10:00–11:00 Alice Doe Repair visit Scheduled"
    # The axis runs 08:00 to 17:00 (9 hours in 400 steps): 10:00 to 11:00 is steps 89 to 133.
    assert (block["at"], block["until"]) == ("from-89", "until-133")


def test_the_page_names_the_zone_and_the_day(desk_client, territory, terry, day):
    response = desk_client.get(BOARD, {"territory": territory.pk, "day": day.isoformat()})
    page = response.content.decode()
    assert f"{territory.name}, Tuesday 11 June 2030" in page
    assert "Times in America/Los_Angeles" in page
    assert "(PDT)" in page
    assert "from 08:00 to 16:00" in page  # Terry's hours


def test_free_time_is_the_working_hours_less_visits_and_time_off(
    desk_client, territory, terry, uma, visit, day
):
    TimeOff.objects.create(
        resource=uma, start=at(day, "15:00"), end=at(day + timedelta(days=2), "00:00"),
        reason="Dentist",
    )  # fmt: skip

    page = board(desk_client, territory=territory.pk, day=day.isoformat())

    terrys = [(b["kind"], b["text"]) for b in page.rows["Terry Tech Works 08:00–16:00"]]
    assert terrys == [
        ("free", "Free 08:00–10:00"),
        ("visit", "Visit, 10:00–11:00 Alice Doe Repair visit Scheduled"),
        ("free", "Free 11:00–16:00"),
    ]
    umas = [(b["kind"], b["text"]) for b in page.rows["Uma Upton Works 08:00–12:00, 13:00–17:00"]]
    assert umas == [
        ("free", "Free 08:00–12:00"),
        ("free", "Free 13:00–15:00"),
        ("time-off", "Time off: Dentist from 15:00"),
    ]


def test_canceled_visits_are_left_out_and_counted(desk_client, territory, terry, visit, day):
    canceled = AppointmentFactory(
        service_account=visit.service_account,
        resource=terry,
        start=at(day, "13:00"),
        status=Status.CANCELED,
    )
    completed = AppointmentFactory(
        service_account=visit.service_account,
        resource=terry,
        start=at(day, "08:00"),
        status=Status.COMPLETED,
    )

    response = desk_client.get(BOARD, {"territory": territory.pk, "day": day.isoformat()})
    page = response.content.decode()

    assert change_url(canceled) not in page
    assert change_url(completed) in page
    assert "Canceled visits are not shown (1 on this day)." in page


def test_a_closed_day_shows_the_closure_and_no_free_time(desk_client, territory, terry, visit, day):
    Closure.objects.create(territory=territory, date=day, name="Founders' Day")

    response = desk_client.get(BOARD, {"territory": territory.pk, "day": day.isoformat()})
    page = BoardPage(response.content.decode())

    assert f"{territory.name} is closed on this day for Founders&#x27; Day" in (
        response.content.decode()
    )
    blocks = [(b["kind"], b["text"]) for b in page.rows["Terry Tech Works 08:00–16:00"]]
    assert blocks == [
        ("closed", "Closed for Founders' Day"),
        ("visit", "Visit, 10:00–11:00 Alice Doe Repair visit Scheduled"),
    ]
    closed = page.rows["Terry Tech Works 08:00–16:00"][0]
    assert (closed["at"], closed["until"]) == ("from-0", "until-400")
    # The next day is open again.
    next_day = board(desk_client, territory=territory.pk, day=(day + timedelta(days=1)).isoformat())
    assert [b["kind"] for b in next_day.rows["Terry Tech Works 08:00–16:00"]] == ["free"]


def test_a_visit_elsewhere_says_where(desk_client, territory, terry, day, repair):
    site = ServiceAccountFactory(name="Harbour Offices", territory=TerritoryFactory())
    terry.territories.add(site.territory)
    AppointmentFactory(
        service_account=site, resource=terry, service_type=repair, start=at(day, "14:00")
    )

    page = board(desk_client, territory=territory.pk, day=day.isoformat())

    [block] = [b for b in page.rows["Terry Tech Works 08:00–16:00"] if b["kind"] == "visit"]
    assert block["text"] == (
        "Visit, 14:00–15:00 Harbour Offices Repair visit, at Harbour Offices Scheduled"
    )


def test_the_board_says_when_nobody_serves_the_territory(desk_client, territory, day):
    response = desk_client.get(BOARD, {"territory": territory.pk, "day": day.isoformat()})
    assert response.status_code == 200
    assert f"No active technician serves {territory.name}." in response.content.decode()
    assert 'class="day-board"' not in response.content.decode()


def test_the_board_says_when_there_is_no_visit(desk_client, territory, terry, day):
    page = desk_client.get(BOARD, {"territory": territory.pk, "day": day.isoformat()})
    assert "No visits on this day." in page.content.decode()


def test_a_technician_off_that_day_says_so(desk_client, territory, terry, day):
    saturday = day + timedelta(days=4)
    page = board(desk_client, territory=territory.pk, day=saturday.isoformat())
    assert page.rows == {"Terry Tech Not working": []}


def test_the_board_says_when_there_is_no_territory(desk_client):
    page = desk_client.get(BOARD)
    assert page.status_code == 200
    assert "No territory yet" in page.content.decode()


def test_without_a_choice_the_board_shows_the_first_territory_today(desk_client, clock):
    ServiceAccountFactory(territory=TerritoryFactory(name="Bravo"))
    first = ServiceAccountFactory(territory=TerritoryFactory(name="Alpha")).territory
    ResourceFactory(territories=[first], user__first_name="Amy", user__last_name="Able")

    response = desk_client.get(BOARD)

    today = clock.now.astimezone(LA).date()
    assert response.context["board"].territory == first
    assert response.context["board"].day == today
    page = response.content.decode()
    assert f"Alpha, {today:%A} {today.day} {today:%B %Y}" in page
    assert f'<option value="{first.pk}" selected>Alpha</option>' in page
    assert f'value="{today.isoformat()}"' in page


def test_previous_and_next_day_links_keep_the_territory(desk_client, territory, terry, day):
    page = desk_client.get(BOARD, {"territory": territory.pk, "day": day.isoformat()})
    html = page.content.decode()
    assert f'href="?territory={territory.pk}&amp;day=2030-06-10" rel="prev"' in html
    assert f'href="?territory={territory.pk}&amp;day=2030-06-12" rel="next"' in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"territory": "999999"}, "There is no such territory: choose one from the list."),
        ({"territory": "abc"}, "There is no such territory: choose one from the list."),
        ({"territory": "9" * 40}, "There is no such territory: choose one from the list."),
        ({"day": "2030-02-30"}, "Enter the day as year-month-day, for example 2030-06-04."),
        ({"day": "tomorrow"}, "Enter the day as year-month-day, for example 2030-06-04."),
        ({"day": "99999-01-01"}, "Enter the day as year-month-day, for example 2030-06-04."),
        ({"day": "0001-01-01"}, "Pick a day within ten years of today."),
        ({"day": "9999-12-31"}, "Pick a day within ten years of today."),
    ],
)
def test_bad_parameters_say_what_is_wrong(desk_client, territory, terry, params, message):
    response = desk_client.get(BOARD, params)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert '<div class="errornote" role="alert">' in page
    assert 'class="day-board"' not in page


def test_the_board_is_drawn_in_local_time_on_the_day_the_clocks_go_forward(desk_client):
    """Europe/Berlin, Sunday 28 March 2027: 02:00 CET is 03:00 CEST. A night shift from
    00:00 to 06:00 lasts five hours, and a visit from 01:00 CET to 03:30 CEST ninety
    minutes."""
    berlin = ZoneInfo("Europe/Berlin")
    site = ServiceAccountFactory(time_zone="Europe/Berlin", territory=TerritoryFactory())
    night = ResourceFactory(
        territories=[site.territory],
        time_zone="Europe/Berlin",
        user__first_name="Nina",
        user__last_name="Night",
        works="Sun 00:00-06:00",
    )
    sunday = date(2027, 3, 28)
    visit = AppointmentFactory(
        service_account=site,
        customer=CustomerFactory(first_name="Bea", last_name="Berg", service_account=site),
        resource=night,
        start=datetime(2027, 3, 28, 1, 0, tzinfo=berlin),
        end=datetime(2027, 3, 28, 3, 30, tzinfo=berlin),
    )
    assert visit.end.astimezone(UTC) - visit.start.astimezone(UTC) == timedelta(minutes=90)

    response = desk_client.get(BOARD, {"territory": site.territory.pk, "day": sunday.isoformat()})
    html = response.content.decode()
    page = BoardPage(html)

    assert "Times in Europe/Berlin" in html
    assert "(CET, then CEST after the clocks change)" in html
    axis = [m.label for m in response.context["board"].marks]
    assert axis == [
        "00:00 CET",
        "01:00 CET",
        "03:00 CEST",
        "04:00 CEST",
        "05:00 CEST",
        "06:00 CEST",
    ]
    # Five real hours in 400 steps: 80 steps an hour.
    assert [m.at for m in response.context["board"].marks] == [0, 80, 160, 240, 320, 400]
    blocks = page.rows["Nina Night Works 00:00 CET–06:00 CEST"]
    assert [(b["kind"], b["text"], b["at"], b["until"]) for b in blocks] == [
        ("free", "Free 00:00 CET–01:00 CET", "from-0", "until-80"),
        (
            "visit",
            f"Visit, 01:00 CET–03:30 CEST Bea Berg {visit.service_type} Scheduled",
            "from-80",
            "until-200",
        ),
        ("free", "Free 03:30 CEST–06:00 CEST", "from-200", "until-400"),
    ]


def test_the_query_count_is_the_same_for_2_and_20_technicians(desk_client, territory, day):
    repair = ServiceTypeFactory(name="Repair visit")

    names = (f"Tech {n:02d}" for n in range(20))

    def staff(count: int) -> None:
        for _ in range(count):
            tech = ResourceFactory(territories=[territory], user__first_name=next(names))
            TimeOff.objects.create(resource=tech, start=at(day, "15:00"), end=at(day, "16:00"))
            for start in ("09:00", "11:00"):
                AppointmentFactory(
                    service_account=ServiceAccountFactory(territory=territory),
                    customer=CustomerFactory(),
                    resource=tech,
                    service_type=repair,
                    start=at(day, start),
                )

    params = {"territory": territory.pk, "day": day.isoformat()}
    staff(2)
    desk_client.get(BOARD, params)  # the session and the user's permissions, once
    with CaptureQueriesContext(connection) as two:
        assert len(board(desk_client, **params).rows) == 2
    staff(18)
    with CaptureQueriesContext(connection) as twenty:
        page = board(desk_client, **params)
    assert len(page.rows) == 20
    assert sum(b["kind"] == "visit" for blocks in page.rows.values() for b in blocks) == 40
    assert len(twenty) == len(two), [q["sql"] for q in twenty.captured_queries]


# --- Who opens it -------------------------------------------------------------------------


def test_the_dispatcher_finds_the_board_on_the_index_and_the_appointments_list(desk_client):
    assert BOARD in desk_client.get(reverse("admin:index")).content.decode()
    appointments = desk_client.get(reverse("admin:scheduling_appointment_changelist"))
    assert f'<a href="{BOARD}">Day board</a>' in appointments.content.decode()


def test_the_dispatchers_hold_the_board_permission(desk_dispatcher):
    assert not desk_dispatcher.is_superuser
    assert desk_dispatcher.has_perm("scheduling.view_day_board")


def test_staff_without_the_permission_are_refused(client):
    clerk = UserFactory(is_staff=True)
    sign_in_with_totp(client, clerk)
    assert client.get(BOARD).status_code == 403
    assert BOARD not in client.get(reverse("admin:index")).content.decode()


def test_a_customer_is_sent_to_sign_in(alice_client):
    response = alice_client.get(BOARD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
