"""Racing bookings on PostgreSQL: as many succeed as there are free resources, never more."""

import pytest

from scheduling import services
from scheduling.models import Appointment
from tests.factories import CustomerFactory, ResourceFactory, ServiceAccountFactory
from tests.support.clock import next_weekday_at
from tests.support.race import race

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 20
FREE = 3


def test_twenty_threads_racing_for_one_slot(repair):
    site = ServiceAccountFactory()
    for _ in range(FREE):
        ResourceFactory(territories=[site.territory])
    customers = [CustomerFactory(service_account=site) for _ in range(ATTEMPTS)]
    product = repair.products.first()
    start = next_weekday_at("10:00")

    outcomes = race(
        [
            lambda c=customer: services.book(
                account=site, customer=c, product=product, service_type=repair, start=start
            )
            for customer in customers
        ]
    )

    booked = [o for o in outcomes if isinstance(o, Appointment)]
    refused = [o for o in outcomes if isinstance(o, services.SlotTaken)]
    assert len(outcomes) == ATTEMPTS
    assert len(booked) == FREE, outcomes
    assert len(refused) == ATTEMPTS - FREE, [o for o in outcomes if not isinstance(o, Appointment)]
    assert {str(e) for e in refused} == {"That time was just taken. Please pick another time."}
    rows = Appointment.objects.filter(start=start)
    assert rows.count() == FREE
    assert len({a.resource_id for a in rows}) == FREE  # nobody double booked
