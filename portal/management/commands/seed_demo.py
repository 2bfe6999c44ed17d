"""Demo data for `make run`. Safe to run again: finds what is there, adds what is missing."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt, encrypt
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal import services
from portal.models import Invitation, User
from scheduling import planning
from scheduling.availability import distance_km
from scheduling.caches import bump_planning_version
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
from scheduling.services import free_resources
from surveys.models import Question, Survey

DISPATCHER = ("dispatcher@example.com", "dispatch-demo-2026")
# Dana's authenticator app (admin asks dispatchers for its code): a fixed secret, so that the
# summary can say how to sign in as her. Base32, 160 bits like allauth's own.
DISPATCHER_TOTP_SECRET = "DANADISPATCHDEMOSECRETFORMAKERUN"
CUSTOMER = ("alice@example.com", "alice-demo-2026")
INVITEE = ("Bob Builder", "bob@example.com")

TERRITORIES = ["Seattle", "Eastside", "South Sound"]
# Real places with their coordinates, so travel distances in the demo mean something.
ACCOUNTS = [
    (
        "Alice Anderson residence",
        "400 Broad St, Seattle, WA 98109, USA",
        "Seattle",
        47.6205,
        -122.3493,
    ),
    ("Bob's Bakery", "1201 Alki Ave SW, Seattle, WA 98116, USA", "Seattle", 47.5779, -122.4088),
    ("Carol's Clinic", "15600 NE 8th St, Bellevue, WA 98008, USA", "Eastside", 47.6168, -122.1307),
    (
        "Redmond Town Homes",
        "16495 NE 74th St, Redmond, WA 98052, USA",
        "Eastside",
        47.6700,
        -122.1186,
    ),
    (
        "Tacoma Dome Offices",
        "2727 E D St, Tacoma, WA 98421, USA",
        "South Sound",
        47.2366,
        -122.4271,
    ),
]


CHARACTERISTICS = ["HVAC certified", "Electrical", "Plumbing", "Gas safe"]
PRODUCTS = ["Heat pump", "Furnace", "Water heater", "EV charger"]
# name, minutes, products, required characteristics, bookable on the portal, description
SERVICE_TYPES = [
    (
        "Annual maintenance",
        60,
        ["Heat pump", "Furnace"],
        ["HVAC certified"],
        True,
        "Yearly check, cleaning and filter change.",
    ),
    ("Repair visit", 120, PRODUCTS, [], True, "Diagnose and fix a fault."),
    (
        "Installation survey",
        90,
        ["EV charger"],
        ["Electrical"],
        True,
        "We look at your panel and where the charger goes, then send a quote.",
    ),
    (
        "Water heater service",
        60,
        ["Water heater"],
        ["Plumbing"],
        True,
        "Flush, anode check and safety valve test.",
    ),
    (
        "Gas furnace safety check",
        60,
        ["Furnace"],
        ["HVAC certified", "Gas safe"],
        True,
        "Combustion, flue and gas line check.",
    ),
    (
        "Warranty inspection",
        60,
        PRODUCTS,
        [],
        False,
        "Arranged by the dispatcher with the manufacturer.",
    ),
]

TECHNICIAN_ZONE = "America/Los_Angeles"
FULL_DAY = ["Mon-Fri 08:00-16:00"]
SPLIT_DAY = ["Mon-Fri 08:00-12:00", "Mon-Fri 13:00-17:00"]
WITH_SATURDAY = ["Mon-Fri 08:00-16:00", "Sat 09:00-13:00"]
# first name, last name, home base (neighbourhood centres), territories, skills, hours.
# Emails are tech01@example.com, tech02@example.com, ... in this order.
TECHNICIANS = [
    ("Marcus", "Lee", "Ballard, Seattle, WA", 47.6687, -122.3847,
     ["Seattle"], ["HVAC certified", "Gas safe"], FULL_DAY),
    ("Priya", "Patel", "Capitol Hill, Seattle, WA", 47.6253, -122.3222,
     ["Seattle"], ["Electrical"], SPLIT_DAY),
    ("Diego", "Ramirez", "West Seattle, Seattle, WA", 47.5707, -122.3866,
     ["Seattle", "South Sound"], ["Plumbing", "Gas safe"], FULL_DAY),
    ("Hannah", "Kim", "Fremont, Seattle, WA", 47.6510, -122.3505,
     ["Seattle"], ["HVAC certified", "Electrical"], WITH_SATURDAY),
    ("Omar", "Haddad", "Beacon Hill, Seattle, WA", 47.5790, -122.3115,
     ["Seattle"], ["Plumbing"], FULL_DAY),
    ("Grace", "Olsen", "Northgate, Seattle, WA", 47.7060, -122.3255,
     ["Seattle", "Eastside"], ["HVAC certified"], FULL_DAY),
    ("Tyler", "Nguyen", "Shoreline, WA", 47.7557, -122.3415,
     ["Seattle"], [], FULL_DAY),
    ("Sofia", "Rossi", "Mercer Island, WA", 47.5707, -122.2221,
     ["Seattle", "Eastside"], ["Electrical", "Plumbing"], SPLIT_DAY),
    ("Ethan", "Brooks", "Downtown Bellevue, WA", 47.6101, -122.2015,
     ["Eastside"], ["HVAC certified", "Gas safe"], FULL_DAY),
    ("Mei", "Chen", "Kirkland, WA", 47.6769, -122.2060,
     ["Eastside"], ["Electrical"], FULL_DAY),
    ("Liam", "O'Connor", "Redmond, WA", 47.6740, -122.1215,
     ["Eastside"], ["Plumbing"], FULL_DAY),
    ("Aisha", "Johnson", "Issaquah, WA", 47.5301, -122.0326,
     ["Eastside"], ["HVAC certified", "Electrical"], WITH_SATURDAY),
    ("Noah", "Williams", "Sammamish, WA", 47.6163, -122.0356,
     ["Eastside"], [], FULL_DAY),
    ("Chloe", "Martin", "Bothell, WA", 47.7601, -122.2054,
     ["Eastside", "Seattle"], ["HVAC certified", "Plumbing"], FULL_DAY),
    ("Ravi", "Singh", "Renton, WA", 47.4829, -122.2171,
     ["Eastside", "South Sound"], ["Gas safe", "Plumbing"], SPLIT_DAY),
    ("Jake", "Thompson", "Tacoma, WA", 47.2529, -122.4443,
     ["South Sound"], ["HVAC certified", "Gas safe"], FULL_DAY),
    ("Elena", "Petrova", "Federal Way, WA", 47.3223, -122.3126,
     ["South Sound"], ["Electrical"], FULL_DAY),
    ("Samuel", "Green", "Puyallup, WA", 47.1854, -122.2929,
     ["South Sound"], ["Plumbing"], FULL_DAY),
    ("Nina", "Alvarez", "Kent, WA", 47.3809, -122.2348,
     ["South Sound", "Seattle"], ["HVAC certified", "Electrical"], FULL_DAY),
    ("Ben", "Carter", "Lakewood, WA", 47.1718, -122.5185,
     ["South Sound"], [], FULL_DAY),
]  # fmt: skip
# Away Monday to Wednesday of the week after the first load: a gap in the Seattle calendar.
ON_LEAVE = "tech06@example.com"
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

Status = Appointment.Status

SURVEY_QUESTIONS = [
    ("rating", "How was your visit?", True, ""),
    ("score", "How likely are you to recommend us to a friend?", False, ""),
    ("yes_no", "Did the technician arrive on time?", True, ""),
    ("choice", "What mattered most to you?", False, "Speed\nPrice\nCare\nExplanations"),
    ("text", "Anything else you'd like to tell us?", False, ""),
]


def technician_email(number: int) -> str:
    return f"tech{number:02d}@example.com"


def parse_hours(spec: str) -> list[tuple[int, time, time]]:
    """ "Mon-Fri 08:00-12:00" or "Sat 09:00-13:00" as (weekday, start, end)."""
    days, hours = spec.split()
    first, _, last = days.partition("-")
    start, end = (time.fromisoformat(t) for t in hours.split("-"))
    return [(d, start, end) for d in range(DAYS.index(first), DAYS.index(last or first) + 1)]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default=settings.PORTAL_BASE_URL, help="Where the portal is served."
        )

    def handle(self, *args, base_url: str, **options):
        # The summary goes last, after commit, when any mail the load sent has been printed.
        base_url = base_url.rstrip("/")
        invitation = self._load(base_url)
        # After the load's commit: its completed visits were not asked by mail, and offer
        # "Send feedback" in Alice's Past tab.
        self._load_survey()
        # Hours were written in bulk, which sends no signal: tell running portals anyway.
        bump_planning_version()
        self._print_summary(base_url, invitation)

    @transaction.atomic
    def _load(self, base_url: str) -> Invitation | None:
        territories = {name: Territory.objects.get_or_create(name=name)[0] for name in TERRITORIES}
        accounts = {}
        for name, address, territory, lat, lon in ACCOUNTS:
            accounts[name], _ = ServiceAccount.objects.get_or_create(
                name=name,
                defaults={
                    "address": address,
                    "territory": territories[territory],
                    "latitude": lat,
                    "longitude": lon,
                    "time_zone": "America/Los_Angeles",
                },
            )

        dispatcher = self._load_dispatcher()
        customer = User.objects.filter(email=CUSTOMER[0]).first()
        if customer is None:
            customer = User.objects.create_user(
                CUSTOMER[0],
                CUSTOMER[1],
                first_name="Alice",
                last_name="Anderson",
                phone="+1 206 555 0100",
                time_zone="America/Los_Angeles",
                service_account=accounts["Alice Anderson residence"],
            )
        self._load_catalogue()
        self._load_technicians(territories)
        rules, _ = SchedulingSettings.objects.get_or_create(pk=1)
        self._load_closures(territories.values(), rules.horizon_days)
        for user in (dispatcher, customer):
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )

        invitation = (
            Invitation.objects.filter(
                email=INVITEE[1],
                status=Invitation.Status.PENDING,
                expires_at__gt=timezone.now(),
            )
            .order_by("-created_at")
            .first()
        )
        if invitation is None and not User.objects.filter(email=INVITEE[1]).exists():
            invitation = services.invite(
                contact_name=INVITEE[0],
                email=INVITEE[1],
                service_account=accounts["Bob's Bakery"],
                created_by=dispatcher,
                base_url=base_url,
            )

        account = accounts["Alice Anderson residence"]
        if not Appointment.objects.filter(
            Q(service_account=account) | Q(customer=customer)
        ).exists():
            self._load_appointments(account, customer)
        return invitation

    def _load_dispatcher(self) -> User:
        """Dana: staff in the Dispatchers group with an authenticator app, not a superuser
        (demos loaded before made her one; she is brought in line)."""
        dispatcher = User.objects.filter(email=DISPATCHER[0]).first()
        if dispatcher is None:
            dispatcher = User.objects.create_user(
                DISPATCHER[0], DISPATCHER[1], first_name="Dana", last_name="Dispatcher"
            )
        dispatcher.is_staff, dispatcher.is_superuser = True, False
        dispatcher.save(update_fields=["is_staff", "is_superuser"])
        dispatcher.groups.add(Group.objects.get(name="Dispatchers"))
        Authenticator.objects.get_or_create(
            user=dispatcher,
            type=Authenticator.Type.TOTP,
            defaults={"data": {"secret": encrypt(DISPATCHER_TOTP_SECRET)}},
        )
        return dispatcher

    def _load_survey(self) -> None:
        survey, created = Survey.objects.get_or_create(name="After your visit")
        if not created:
            return
        survey.service_types.set(ServiceType.objects.all())
        Kind = Question.Kind
        for position, (kind, text, required, choices) in enumerate(SURVEY_QUESTIONS):
            survey.questions.create(
                position=position, kind=Kind(kind), text=text, required=required, choices=choices
            )

    def _load_catalogue(self) -> None:
        skills = {n: Characteristic.objects.get_or_create(name=n)[0] for n in CHARACTERISTICS}
        products = {n: Product.objects.get_or_create(name=n)[0] for n in PRODUCTS}
        for name, minutes, for_products, requires, bookable, description in SERVICE_TYPES:
            service_type, created = ServiceType.objects.get_or_create(
                name=name,
                defaults={
                    "duration": timedelta(minutes=minutes),
                    "bookable_on_portal": bookable,
                    "description": description,
                },
            )
            if created:  # later edits in admin win over the demo's choices
                service_type.products.set([products[p] for p in for_products])
                service_type.required_characteristics.set([skills[c] for c in requires])

    def _load_technicians(self, territories: dict[str, Territory]) -> None:
        skills = {c.name: c for c in Characteristic.objects.filter(name__in=CHARACTERISTICS)}
        for number, spec in enumerate(TECHNICIANS, start=1):
            first, last, home, lat, lon, serves, has, hours = spec
            email = technician_email(number)
            user = User.objects.filter(email=email).first()
            if user is None:
                # Technicians sign in to their app, not here: no password in the demo.
                user = User.objects.create_user(
                    email, None, first_name=first, last_name=last, time_zone=TECHNICIAN_ZONE
                )
            resource, created = Resource.objects.get_or_create(
                user=user,
                defaults={
                    "home_address": f"{home}, USA",
                    "home_latitude": lat,
                    "home_longitude": lon,
                    "time_zone": TECHNICIAN_ZONE,
                },
            )
            if not created:
                continue
            resource.territories.set([territories[t] for t in serves])
            resource.characteristics.set([skills[c] for c in has])
            WorkingHours.objects.bulk_create(
                WorkingHours(resource=resource, weekday=d, start=start, end=end)
                for period in hours
                for d, start, end in parse_hours(period)
            )
            if email == ON_LEAVE:
                zone = ZoneInfo(TECHNICIAN_ZONE)
                today = timezone.localdate(timezone=zone)
                monday = today + timedelta(days=7 - today.weekday())
                TimeOff.objects.create(
                    resource=resource,
                    start=datetime.combine(monday, time(0), tzinfo=zone),
                    end=datetime.combine(monday + timedelta(days=3), time(0), tzinfo=zone),
                    reason="Vacation",
                )

    def _load_closures(self, territories, horizon_days: int) -> None:
        """The region's public holidays (Washington State's, the federal ones with them) from
        today to the end of the booking horizon close every demo territory: the day picker
        shows them as "Closed"."""
        today = timezone.localdate(timezone=ZoneInfo(TECHNICIAN_ZONE))
        last = today + timedelta(days=horizon_days)
        region = holidays.US(subdiv="WA", years=range(today.year, last.year + 1))
        for day, name in sorted(region.items()):
            if today <= day <= last:
                for territory in territories:
                    Closure.objects.get_or_create(
                        territory=territory, date=day, defaults={"name": name}
                    )

    def _load_appointments(self, account: ServiceAccount, customer: User) -> None:
        """Alice's visits in every state, written directly: the demo needs some in the past
        and one under way, which booking refuses, and it must not mail anyone."""
        zone = ZoneInfo(account.time_zone or "UTC")
        now = timezone.now()
        today = now.astimezone(zone).date()
        types = {t.name: t for t in ServiceType.objects.all()}
        products = {p.name: p for p in Product.objects.all()}
        maintenance, repair = types["Annual maintenance"], types["Repair visit"]
        survey, water = types["Installation survey"], types["Water heater service"]

        def at(day: date, clock: str) -> datetime:
            return datetime.combine(day, time.fromisoformat(clock), tzinfo=zone)

        def half_hour(t: datetime) -> datetime:
            return t.replace(minute=t.minute // 30 * 30, second=0, microsecond=0)

        # Visits keep to the working day on the site's clock (08:00-17:00), whenever the demo
        # is loaded: the ones under way move to the nearest working time around now.
        local_now = now.astimezone(zone)
        opens, closes = at(today, "08:00"), at(today, "17:00")

        def started(duration: timedelta) -> datetime:
            """Began half an hour ago, else late on the last working day before now."""
            start = half_hour(local_now) - timedelta(minutes=30)
            if start < opens:
                return at(_weekday(today - timedelta(days=1), step=-1), "17:00") - duration
            return min(start, closes - duration)

        def setting_off(duration: timedelta) -> datetime:
            """Starts in about 45 minutes, else first thing on the next working day."""
            start = max(half_hour(local_now + timedelta(minutes=45)), opens)
            if start + duration > closes:
                return at(_weekday(today + timedelta(days=1)), "08:00")
            return start

        demo = _DemoBooking(account, customer, now)
        # Past visits, done.
        for days_ago, clock, service_type, product, comments in [
            (16, "09:00", maintenance, "Heat pump", ""),
            (6, "13:00", repair, "Water heater", "No hot water since Sunday."),
        ]:
            start = at(_weekday(today - timedelta(days=days_ago), step=-1), clock)
            demo.add(Status.COMPLETED, service_type, products[product], start, comments)
        # Under way today: one started, one on its way.
        demo.add(
            Status.IN_PROGRESS,
            repair,
            products["Furnace"],
            started(repair.duration),
            "The furnace clicks but does not light.",
        )
        demo.add(
            Status.TRAVELING,
            maintenance,
            products["Heat pump"],
            setting_off(maintenance.duration),
            "Side gate is open; the unit is behind the garage.",
        )
        # Coming up, at times a customer could have booked.
        first = _weekday(today + timedelta(days=2))
        demo.add_bookable(survey, products["EV charger"], at, first, "10:00", "Tesla, 48 A.")
        demo.add_bookable(water, products["Water heater"], at, first + timedelta(days=3), "14:00")
        demo.add(
            Status.CANCELED,
            maintenance,
            products["Furnace"],
            at(_weekday(today + timedelta(days=4)), "09:00"),
            "",
            reason="We are away that week; we will book again when we are back.",
        )

    def _print_summary(self, base: str, invitation: Invitation | None) -> None:
        lines = [
            "",
            "Demo data is loaded.",
            f"  Portal:            {base}/",
            f"  Customer sign-in:  {CUSTOMER[0]} / {CUSTOMER[1]}",
            f"  Dispatcher admin:  {base}/admin/  {DISPATCHER[0]} / {DISPATCHER[1]}",
            *self._second_factor_lines(),
        ]
        if invitation is not None:
            lines += [
                f"  Pending invitation for {INVITEE[1]}: code {invitation.display_code}",
                f"    open {base}/redeem/?code={invitation.display_code}",
            ]
        else:
            lines.append(f"  {INVITEE[1]} has redeemed the demo invitation and can sign in.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)) + "\n")

    def _second_factor_lines(self) -> list[str]:
        """How to give Dana's second factor: the secret (or its otpauth URI, which a QR code
        generator turns into what a phone scans) for an authenticator app, or the code now."""
        dispatcher = User.objects.get(email=DISPATCHER[0])
        totp = Authenticator.objects.get(user=dispatcher, type=Authenticator.Type.TOTP)
        secret = decrypt(totp.data["secret"])
        return [
            "    then the code of an authenticator app set up with the secret",
            f"      {secret}",
            f"      ({get_mfa_adapter().build_totp_url(dispatcher, secret)})",
            f"    or the code now: .venv/bin/python manage.py totp_code {DISPATCHER[0]}",
        ]


def _weekday(day: date, *, step: int = 1) -> date:
    """`day`, or the nearest Monday to Friday from it in the direction of `step`."""
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day


class _DemoBooking:
    """Writes one demo appointment with its history, on a resource that serves the account
    and is free then: PostgreSQL refuses two active appointments of one resource that
    overlap, and the demo should not show what the portal would never do."""

    def __init__(self, account: ServiceAccount, customer: User, now: datetime):
        self.account, self.customer, self.now = account, customer, now
        self.settings = SchedulingSettings.current()

    def add_bookable(self, service_type, product, at, day: date, clock: str, comments=""):
        """Scheduled on the first weekday from `day` that the assignment rules allow."""
        for _ in range(14):
            day = _weekday(day)
            start = at(day, clock)
            free = free_resources(self.account, service_type, start, self.settings)
            if free:
                resource = Resource.objects.get(pk=free[0][0].resource_id)
                return self._write(
                    Status.SCHEDULED, service_type, product, start, comments, resource
                )
            day += timedelta(days=1)
        return None

    def add(self, status, service_type, product, start, comments, *, reason=""):
        end = start + service_type.duration
        holds_time = status != Status.CANCELED
        for resource in sorted(
            planning.eligible_resources(self.account, service_type, self.settings),
            key=lambda r: distance_km(r.home, self.account.point),
        ):
            busy = Appointment.objects.filter(
                resource=resource,
                start__lt=end,
                end__gt=start,
                status__in=[*Appointment.ACTIVE, Status.COMPLETED],
            ).exists()
            if not (holds_time and busy):
                return self._write(status, service_type, product, start, comments, resource, reason)
        return None

    def _write(self, status, service_type, product, start, comments, resource, reason=""):
        end = start + service_type.duration
        booked_at = min(self.now, start) - timedelta(days=5)
        appointment = Appointment.objects.create(
            service_account=self.account,
            customer=self.customer,
            product=product,
            service_type=service_type,
            resource=resource,
            start=start,
            end=end,
            status=status,
            comments=comments,
            cancel_reason=reason,
            travel_distance_km=round(distance_km(resource.home, self.account.point), 3),
            sequence=1 if status == Status.CANCELED else 0,
        )
        events = [
            AppointmentEvent(
                appointment=appointment,
                at=booked_at,
                by=self.customer,
                kind=AppointmentEvent.Kind.BOOKED,
                to_status=Status.SCHEDULED,
                to_start=start,
                to_resource=resource,
            )
        ]
        if status == Status.CANCELED:
            events.append(
                AppointmentEvent(
                    appointment=appointment,
                    at=booked_at + timedelta(days=1),
                    by=self.customer,
                    kind=AppointmentEvent.Kind.CANCELED,
                    from_status=Status.SCHEDULED,
                    to_status=Status.CANCELED,
                    note=reason,
                )
            )
        # The technician's app moves the others along: on the way, arrived, done.
        path = [Status.SCHEDULED, Status.TRAVELING, Status.IN_PROGRESS, Status.COMPLETED]
        steps_at = [None, min(start - timedelta(minutes=25), self.now), start, end]
        if status in path:
            for i in range(1, path.index(status) + 1):
                events.append(
                    AppointmentEvent(
                        appointment=appointment,
                        at=steps_at[i],
                        by=resource.user,
                        kind=AppointmentEvent.Kind.STATUS,
                        from_status=path[i - 1],
                        to_status=path[i],
                    )
                )
        AppointmentEvent.objects.bulk_create(events)
        return appointment
