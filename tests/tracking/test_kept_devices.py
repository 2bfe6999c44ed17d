"""The location endpoints take the device from the process, not from a query per batch; a
revocation, a new pairing or an edit in admin reaches them at the next batch, in every
process (the planning version, scheduling.caches). Committed, as in production."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ResourceFactory
from tests.tracking.conftest import Paired, batch, point, post
from tracking import devices
from tracking.models import Device

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("anytime", "eager")]


def _device_reads(queries) -> int:
    return sum(Device._meta.db_table in q["sql"] for q in queries.captured_queries)


def test_the_second_batch_reads_no_device(client, phone):
    assert post(client, phone, {"pings": [point()]}).status_code == 202
    with CaptureQueriesContext(connection) as queries:
        assert post(client, phone, {"pings": [point()]}).status_code == 202
    assert _device_reads(queries) == 0


def test_a_device_revoked_in_admin_is_refused_at_its_next_batch(client, phone):
    assert post(client, phone, {"pings": [point()]}).status_code == 202  # kept now
    assert devices.revoke(device=phone.device)
    response = post(client, phone, {"pings": [point()]})
    assert response.status_code == 401


def test_revoking_again_renews_the_kept_devices_once_more(client, phone, monkeypatch):
    from scheduling import caches

    assert devices.revoke(device=phone.device)
    before = caches.planning_version()
    # Already revoked: nothing changes in the database, but every process renews its devices
    # (in case the first renewal was lost).
    assert not devices.revoke(device=phone.device)
    assert caches.planning_version() != before


def test_a_device_paired_again_refuses_its_old_token_at_once(client, phone):
    assert post(client, phone, {"pings": [point()]}).status_code == 202  # kept now
    code = devices.make_pairing_code(device=phone.device)
    device, token = devices.pair(code=code)

    assert post(client, phone, {"pings": [point()]}).status_code == 401
    assert post(client, Paired(device, token), {"pings": [point()]}).status_code == 202


def test_a_device_moved_to_another_technician_reports_for_them_at_once(client, phone, technician):
    assert post(client, phone, {"pings": [point()]}).status_code == 202
    other = ResourceFactory(territories=list(technician.territories.all()))
    device = Device.objects.get(pk=phone.device.pk)
    device.resource = other
    device.save()  # as admin's change form saves it

    assert post(client, phone, {"pings": [point()]}).status_code == 202
    assert devices.authenticate(phone.token, mark_seen=False).resource_id == other.pk


def test_last_seen_is_asked_for_again_a_minute_later(client, phone, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        post(client, phone, {"pings": batch(1)})
    first = Device.objects.get(pk=phone.device.pk).last_seen_at
    assert first == start
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        post(client, phone, {"pings": batch(1)})
    assert Device.objects.get(pk=phone.device.pk).last_seen_at == first  # not yet due
    later = start + timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        post(client, phone, {"pings": batch(1)})
    assert Device.objects.get(pk=phone.device.pk).last_seen_at == later
