"""Racing bookings on PostgreSQL: as many succeed as there are free resources, never more."""

import threading

import pytest
from django.db import connection

from scheduling import services
from scheduling.models import Appointment
from tests.factories import CustomerFactory, ResourceFactory, ServiceAccountFactory
from tests.support.clock import next_weekday_at

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
    barrier = threading.Barrier(ATTEMPTS)
    outcomes: list[object] = []

    def attempt(customer):
        try:
            barrier.wait()
            outcomes.append(
                services.book(
                    account=site,
                    customer=customer,
                    product=product,
                    service_type=repair,
                    start=start,
                )
            )
        except Exception as exc:  # every outcome is inspected below
            outcomes.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=attempt, args=(c,)) for c in customers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    booked = [o for o in outcomes if isinstance(o, Appointment)]
    refused = [o for o in outcomes if isinstance(o, services.SlotTaken)]
    assert len(outcomes) == ATTEMPTS
    assert len(booked) == FREE, outcomes
    assert len(refused) == ATTEMPTS - FREE, [o for o in outcomes if not isinstance(o, Appointment)]
    assert {str(e) for e in refused} == {"That time was just taken. Please pick another time."}
    rows = Appointment.objects.filter(start=start)
    assert rows.count() == FREE
    assert len({a.resource_id for a in rows}) == FREE  # nobody double booked
