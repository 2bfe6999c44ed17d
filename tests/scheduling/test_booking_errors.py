"""Errors that tell the truth: only a lost race is "just taken"; a time nobody works is "not
available"; a database failure is a server error, never a taken time."""

import logging
import threading
import time

import psycopg
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from scheduling.models import Appointment
from tests.conftest import _database_url
from tests.factories import CustomerFactory, ResourceFactory, ServiceAccountFactory
from tests.support.booking import booking_form
from tests.support.clock import next_weekday_at

BOOK = reverse("scheduling:book")
TAKEN = "That time was just taken"


@pytest.mark.django_db
def test_a_time_on_the_grid_that_nobody_works_is_not_available(client, repair):
    site = ServiceAccountFactory()
    ResourceFactory(territories=[site.territory])  # works 08:00-16:00
    client.force_login(CustomerFactory(service_account=site, time_zone="America/Los_Angeles"))

    response = client.post(BOOK, booking_form(repair, next_weekday_at("06:00")))

    html = response.content.decode()
    assert "That time is not available. Please pick one of the offered times." in html
    assert TAKEN not in html
    assert not Appointment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_dropped_database_connection_is_a_server_error_not_a_taken_time(repair, caplog):
    site = ServiceAccountFactory()
    technician = ResourceFactory(territories=[site.territory])
    customer = CustomerFactory(service_account=site, time_zone="America/Los_Angeles")
    form = booking_form(repair, next_weekday_at("10:00"))
    answers = []

    def post():
        client = Client(raise_request_exception=False)
        client.force_login(customer)
        try:
            answers.append(client.post(BOOK, form))
        finally:
            connection.close()

    # Hold the technician's row so the booking waits on its lock, mid-transaction, until
    # its connection is terminated from outside (as a failover or an operator would).
    with (
        psycopg.connect(_database_url()) as holder,
        psycopg.connect(_database_url(), autocommit=True) as operator,
    ):
        holder.execute(
            "SELECT id FROM scheduling_resource WHERE id = %s FOR UPDATE", [technician.pk]
        )
        booking = threading.Thread(target=post)
        with caplog.at_level(logging.ERROR, logger="django.request"):
            booking.start()
            waiting = _wait_for_lock_waiter(operator)
            operator.execute("SELECT pg_terminate_backend(%s)", [waiting])
            booking.join(timeout=30)
        holder.rollback()

    [response] = answers
    assert response.status_code == 500
    assert TAKEN not in response.content.decode()
    assert any(r.status_code == 500 for r in caplog.records if hasattr(r, "status_code"))
    assert not Appointment.objects.exists()


def _wait_for_lock_waiter(conn) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
        if row:
            return row[0]
        time.sleep(0.02)
    raise AssertionError("the booking never waited on the technician's lock")


@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_is_a_taken_time(repair, settings):
    site = ServiceAccountFactory()
    technician = ResourceFactory(territories=[site.territory])
    customer = CustomerFactory(service_account=site, time_zone="America/Los_Angeles")
    client = Client()
    client.force_login(customer)

    with psycopg.connect(_database_url()) as holder:
        holder.execute(
            "SELECT id FROM scheduling_resource WHERE id = %s FOR UPDATE", [technician.pk]
        )
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 200")  # this session's; connection closed below
        try:
            response = client.post(BOOK, booking_form(repair, next_weekday_at("10:00")))
        finally:
            connection.close()
        holder.rollback()

    assert response.status_code == 200
    assert "That time was just taken. Please pick another time." in response.content.decode()
    assert not Appointment.objects.exists()
