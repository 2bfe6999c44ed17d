"""The bench's data set, written with bulk_create in a few seconds.

10 territories around Seattle, 20 resources in each (200), every one working 08:00-17:00
America/Los_Angeles seven days a week, with 3 or 4 appointments on each of the next 30 days
(100 per resource, 20,000 in all) at sites of its territory. One bookable service type of an
hour. Per territory one customer site with one customer (the slots and booking phases); in
the last territory also the race site with its 200 customers. On the race day the last
territory's resources are all busy at the race time except `race_free` of them.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from scheduling.models import (
    Appointment,
    Product,
    Resource,
    SchedulingSettings,
    ServiceAccount,
    ServiceType,
    Territory,
    WorkingHours,
)

LA = ZoneInfo("America/Los_Angeles")
TERRITORIES = 10
RESOURCES_PER_TERRITORY = 20
SITES_PER_TERRITORY = 20  # where the existing appointments are
DAYS = 30
BUSY_DAYS = 10  # days with 4 appointments; the other 20 have 3, so 100 per resource
RACE_CUSTOMERS = 200
# Existing appointments start at one of these local times: an hour each, half an hour apart
# at least, so travel between them fits.
POSITIONS = [time(8, 30), time(10), time(11, 30), time(13), time(14, 30), time(16)]
RACE_TIME = time(12)
RACE_FREE_PLAN = [time(8, 30), time(14, 30), time(16)]  # free 09:30-14:30
RACE_BUSY_PLAN = [time(8, 30), time(12), time(14, 30)]  # taken at the race time


@dataclass
class Customer:
    user_id: int
    account_id: int
    territory: int


@dataclass
class Dataset:
    today: date
    days: list[date]
    product_id: int
    service_type_id: int
    customers: list[Customer]  # one per territory, index = territory
    racers: list[Customer]
    race_account_id: int
    race_day: date
    race_start: datetime  # aware, UTC
    race_free: int
    appointments: int
    resources: int
    territory_ids: list[int] = field(default_factory=list)


def _center(t: int) -> tuple[float, float]:
    """Two rows of five territories, each about 7 km by 20 km, around Seattle."""
    row, col = divmod(t, 5)
    return (47.45 + 0.2 * row, -122.50 + 0.09 * col)


def _near(rng: random.Random, point: tuple[float, float], spread: float) -> tuple[float, float]:
    return (
        round(point[0] + rng.uniform(-spread, spread), 6),
        round(point[1] + rng.uniform(-spread, spread) * 1.4, 6),
    )


def build(*, today: date, race_day_offset: int = 14, race_free: int = 5, seed: int = 1) -> Dataset:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    User = get_user_model()
    race_territory = TERRITORIES - 1
    days = [today + timedelta(days=i) for i in range(DAYS)]
    race_day = days[race_day_offset]

    SchedulingSettings.current()
    product = Product.objects.create(name="Heat pump")
    service_type = ServiceType.objects.create(name="Repair visit", duration=timedelta(hours=1))
    service_type.products.set([product])

    territories = Territory.objects.bulk_create(
        [Territory(name=f"Bench territory {t + 1:02d}") for t in range(TERRITORIES)]
    )

    def site(name: str, t: int, point: tuple[float, float]) -> ServiceAccount:
        return ServiceAccount(
            name=name,
            address=f"{name}, Seattle, WA, USA",
            territory=territories[t],
            latitude=point[0],
            longitude=point[1],
            time_zone="America/Los_Angeles",
        )

    background = ServiceAccount.objects.bulk_create(
        [
            site(f"Site {t + 1:02d}-{i + 1:02d}", t, _near(rng, _center(t), 0.03))
            for t in range(TERRITORIES)
            for i in range(SITES_PER_TERRITORY)
        ]
    )
    sites_of = {
        t: background[t * SITES_PER_TERRITORY : (t + 1) * SITES_PER_TERRITORY]
        for t in range(TERRITORIES)
    }
    customer_sites = ServiceAccount.objects.bulk_create(
        [site(f"Customer site {t + 1:02d}", t, _center(t)) for t in range(TERRITORIES)]
    )
    race_site = ServiceAccount.objects.bulk_create(
        [site("Race site", race_territory, _center(race_territory))]
    )[0]

    # One unusable password for all: no one signs in with it, sessions are made directly.
    unusable = make_password(None)

    def user(email: str, first: str, account: ServiceAccount | None = None):
        return User(
            email=email,
            first_name=first,
            last_name="Bench",
            time_zone="America/Los_Angeles",
            password=unusable,
            service_account=account,
        )

    n_resources = TERRITORIES * RESOURCES_PER_TERRITORY
    technicians = User.objects.bulk_create(
        [user(f"tech{i + 1:03d}@bench.example", "Tech") for i in range(n_resources)]
    )
    customer_users = User.objects.bulk_create(
        [
            user(f"customer{t + 1:02d}@bench.example", "Customer", customer_sites[t])
            for t in range(TERRITORIES)
        ]
    )
    racer_users = User.objects.bulk_create(
        [user(f"racer{i + 1:03d}@bench.example", "Racer", race_site) for i in range(RACE_CUSTOMERS)]
    )

    territory_of = [i // RESOURCES_PER_TERRITORY for i in range(n_resources)]
    resources = Resource.objects.bulk_create(
        [
            Resource(
                user=technicians[i],
                home_latitude=home[0],
                home_longitude=home[1],
                time_zone="America/Los_Angeles",
            )
            for i, home in enumerate(
                _near(rng, _center(territory_of[i]), 0.03) for i in range(n_resources)
            )
        ]
    )
    Resource.territories.through.objects.bulk_create(
        [
            Resource.territories.through(resource_id=r.id, territory_id=territories[t].id)
            for r, t in zip(resources, territory_of, strict=True)
        ]
    )
    WorkingHours.objects.bulk_create(
        [
            WorkingHours(resource=r, weekday=d, start=time(8), end=time(17))
            for r in resources
            for d in range(7)
        ]
    )

    rows = []
    for i, resource in enumerate(resources):
        t = territory_of[i]
        busy = set(rng.sample(range(DAYS), BUSY_DAYS))
        for d, day in enumerate(days):
            if t == race_territory and day == race_day:
                starts = (
                    RACE_FREE_PLAN if i % RESOURCES_PER_TERRITORY < race_free else RACE_BUSY_PLAN
                )
            else:
                starts = sorted(rng.sample(POSITIONS, 4 if d in busy else 3))
            for local in starts:
                start = datetime.combine(day, local, tzinfo=LA)
                rows.append(
                    Appointment(
                        service_account=rng.choice(sites_of[t]),
                        product=product,
                        service_type=service_type,
                        resource=resource,
                        start=start,
                        end=start + service_type.duration,
                    )
                )
    Appointment.objects.bulk_create(rows, batch_size=2000)

    return Dataset(
        today=today,
        days=days,
        product_id=product.id,
        service_type_id=service_type.id,
        customers=[Customer(u.id, customer_sites[t].id, t) for t, u in enumerate(customer_users)],
        racers=[Customer(u.id, race_site.id, race_territory) for u in racer_users],
        race_account_id=race_site.id,
        race_day=race_day,
        race_start=datetime.combine(race_day, RACE_TIME, tzinfo=LA).astimezone(ZoneInfo("UTC")),
        race_free=race_free,
        appointments=len(rows),
        resources=len(resources),
        territory_ids=[t.id for t in territories],
    )
