"""A visit takes at most a day (it fits in one day's working hours), so reading a
technician's appointments looks back no further than a day before the time asked about,
however long their history."""

import json
from datetime import timedelta

import factory
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from scheduling import planning
from scheduling.availability import Interval
from scheduling.models import Appointment, ServiceType
from tests.factories import AppointmentFactory, ServiceTypeFactory

pytestmark = pytest.mark.django_db


def test_admin_refuses_a_service_type_longer_than_a_day(admin_client, heat_pump):
    page = admin_client.post(
        reverse("admin:scheduling_servicetype_add"),
        {
            "name": "Two-day install",
            "duration": "1 01:00:00",
            "products": [heat_pump.pk],
            "bookable_on_portal": "on",
        },
    )
    assert page.status_code == 200
    assert "A visit can take at most 24 hours." in page.content.decode()
    assert not ServiceType.objects.filter(name="Two-day install").exists()


def test_the_database_refuses_an_appointment_longer_than_a_day(account, technician, repair):
    start = timezone.now() + timedelta(days=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(
            service_account=account,
            resource=technician,
            service_type=repair,
            start=start,
            end=start + timedelta(days=1, minutes=1),
        )
    day_long = AppointmentFactory(
        service_account=account,
        resource=technician,
        service_type=repair,
        start=start,
        end=start + timedelta(days=1),
    )
    assert Appointment.objects.filter(pk=day_long.pk).exists()


def test_a_day_long_visit_that_began_the_day_before_is_still_read(account, technician):
    all_day = ServiceTypeFactory(name="All-day install", duration=timedelta(days=1))
    began = timezone.now().replace(microsecond=0) + timedelta(days=5)
    AppointmentFactory(
        service_account=account, resource=technician, service_type=all_day, start=began
    )
    # An hour before it ends, 23 hours after it began.
    asked = Interval(began + timedelta(hours=23), began + timedelta(hours=24))
    stops = planning.load_stops([technician.pk], asked)[technician.pk]
    assert [(s.start, s.end) for s in stops] == [(began, began + timedelta(days=1))]
    # From the moment it ends, it is not.
    later = Interval(began + timedelta(days=1), began + timedelta(days=1, hours=1))
    assert planning.load_stops([technician.pk], later)[technician.pk] == []


def test_a_long_history_is_not_read_to_find_a_days_visits(account, technician, repair):
    now = timezone.now().replace(microsecond=0)
    AppointmentFactory.create_batch(
        300,
        service_account=account,
        resource=technician,
        service_type=repair,
        status=Appointment.Status.SCHEDULED,
        start=factory.Sequence(lambda n: now - timedelta(days=400 - n)),
    )
    asked = Interval(now + timedelta(days=2), now + timedelta(days=3))
    sql, params = _stops_statement([technician.pk], asked)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a table this small would be scanned
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
        cursor.execute("RESET enable_seqscan")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    # None of the 300 past visits is taken from the index only to be thrown away.
    assert _rows_read(plan[0]["Plan"]) == 0


def _stops_statement(resource_ids, period):
    """The statement load_stops sends, with its parameters, as it sends them."""
    capture = _Capture()
    with connection.execute_wrapper(capture):
        planning.load_stops(resource_ids, period)
    return capture.sql, capture.params


class _Capture:
    def __call__(self, execute, sql, params, many, context):
        self.sql, self.params = sql, params
        return execute(sql, params, many, context)


def _rows_read(node) -> int:
    """Appointments the plan read and then threw away, in this node and below."""
    removed = 0
    if node.get("Relation Name") == Appointment._meta.db_table:
        removed = node.get("Rows Removed by Filter", 0)
        removed += node.get("Rows Removed by Index Recheck", 0)
    return removed + sum(_rows_read(child) for child in node.get("Plans", []))


@pytest.mark.django_db(transaction=True)
def test_the_migration_names_what_it_would_refuse():
    executor = MigrationExecutor(connection)
    before = [("scheduling", "0008_day_board")]
    after = [("scheduling", "0009_visits_at_most_a_day")]
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        product = old.get_model("scheduling", "Product").objects.create(name="Boiler")
        install = old.get_model("scheduling", "ServiceType").objects.create(
            name="Two-day install", duration=timedelta(days=2)
        )
        install.products.add(product)
        executor = MigrationExecutor(connection)
        with pytest.raises(RuntimeError, match=r"service types \['Two-day install'\]"):
            executor.migrate(after)

        install.duration = timedelta(hours=8)
        install.save()
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        assert ServiceType.objects.get(name="Two-day install").duration == timedelta(hours=8)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
