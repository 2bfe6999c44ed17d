"""Each notice goes once per visit however many senders race: threads, each on its own
PostgreSQL connection, held at the notices table until every one of them is about to insert,
then let go together. A flag read and then written would let them all through; only the
unique row decides."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from portal.models import OutboxMessage
from scheduling import services
from scheduling.models import Appointment
from tests.support.race import race
from tests.tracking.notices import notices_sent, place, visit
from tracking import notices
from tracking.models import Notice

pytestmark = [pytest.mark.django_db(transaction=True)]
Kind = Notice.Kind
RACERS = 6


@pytest.fixture
def traveling(account, alice, technician, repair, dispatcher):
    """Alice's visit half an hour from now, the technician on the way (the on-the-way notice
    sent, as the transition's signal sends it)."""
    if connection.vendor != "postgresql":
        pytest.skip("the race is PostgreSQL's")
    start = timezone.now() + timedelta(minutes=30)
    appointment = visit(account, technician, repair, customer=alice, start=start)
    services.transition(appointment=appointment, to=Appointment.Status.TRAVELING, by=dispatcher)
    assert notices_sent(Kind.ON_THE_WAY).count() == 1
    return appointment


def hold_notices() -> None:
    """The gate: inserts into the notices table wait until the test's transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {Notice._meta.db_table} IN SHARE MODE")


def test_racing_senders_of_one_notice_send_it_once(traveling):
    attempts = [
        lambda: notices.send(traveling.pk, Kind.ARRIVING_SOON, estimate=None) for _ in range(RACERS)
    ]
    outcomes = race(attempts, gate=hold_notices)

    assert sorted(outcomes, key=str) == [False] * (RACERS - 1) + [True], outcomes
    assert Notice.objects.filter(kind=Kind.ARRIVING_SOON).count() == 1
    assert notices_sent(Kind.ARRIVING_SOON).count() == 1


def test_racing_ingest_workers_send_each_due_notice_once(traveling, account, technician):
    # 48 minutes away from a visit due in 30 (its window ends in 45): running late; and,
    # with the threshold above that, arriving soon too. Every racer reads the trip afresh
    # and finds both due.
    position = place(technician, account, km=32)

    def worker():
        notices.forget(technician.pk)
        return notices.position_moved(technician.pk, position)

    with override_settings(NOTICE_ARRIVING_SOON_MINUTES=60):
        outcomes = race([worker] * RACERS, gate=hold_notices)

    sent = [kind for outcome in outcomes for kind in outcome]
    assert sorted(sent) == [Kind.ARRIVING_SOON, Kind.RUNNING_LATE], outcomes
    assert notices_sent(Kind.ARRIVING_SOON).count() == 1
    assert notices_sent(Kind.RUNNING_LATE).count() == 1
    assert OutboxMessage.objects.filter(to="alice@example.com").count() == 3  # with on the way
