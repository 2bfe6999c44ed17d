"""A device's token: known by its hash, refused at once when revoked, and "last seen" kept
without a write on every request."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.tracking.conftest import API
from tracking import devices
from tracking.models import Device

pytestmark = pytest.mark.django_db


def test_a_paired_device_is_known_by_its_token(client, device, bearer):
    response = client.get(API + "me", headers=bearer)
    assert response.status_code == 200
    assert response.json() == {"device": "Terry's phone", "technician": "Terry Tech"}


def test_only_the_token_hash_is_stored(device, token):
    row = Device.objects.filter(pk=device.pk).values().get()
    assert row["token_hash"] == devices.token_hash(token) != token
    assert not any(token in str(value) for value in row.values())


@pytest.mark.parametrize(
    "header",
    [None, "Bearer nope", "Bearer ", "Basic x", "Bearer fpt_" + "x" * 43, "Token fpt_abc"],
)
def test_no_or_a_wrong_token_is_401_in_json(client, device, header):
    headers = {"Authorization": header} if header else {}
    response = client.get(API + "me", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["field"] == "Authorization"


def test_a_revoked_token_is_401_at_once(client, device, bearer):
    assert client.get(API + "me", headers=bearer).status_code == 200
    assert devices.revoke(device=device)
    assert client.get(API + "me", headers=bearer).status_code == 401
    assert devices.authenticate(bearer["Authorization"].split()[1]) is None


def test_a_token_that_is_not_ours_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert devices.authenticate("not-a-token") is None
        assert devices.authenticate("fpt_short") is None
        assert devices.authenticate("") is None


def test_authentication_is_one_query_and_last_seen_moves_once_a_minute(
    device, token, django_assert_num_queries
):
    first = timezone.now()
    with django_assert_num_queries(2):  # found, and "last seen" written (never seen before)
        assert devices.authenticate(token).pk == device.pk
    with django_assert_num_queries(1):  # seen just now: only found
        assert devices.authenticate(token).last_seen_at == first

    soon = first + timedelta(seconds=59)
    with time_machine.travel(soon, tick=False), django_assert_num_queries(1):
        devices.authenticate(token)
    device.refresh_from_db()
    assert device.last_seen_at == first

    later = first + timedelta(seconds=61)
    with time_machine.travel(later, tick=False), django_assert_num_queries(2):
        devices.authenticate(token)
    device.refresh_from_db()
    assert device.last_seen_at == later


def test_a_request_that_read_a_stale_last_seen_leaves_a_fresher_one_alone(device):
    now = timezone.now()
    device.last_seen_at = now - timedelta(hours=1)  # as this request read it
    Device.objects.filter(pk=device.pk).update(last_seen_at=now)  # another one wrote since

    devices.note_seen(device.pk, now + timedelta(seconds=30))

    device.refresh_from_db()
    assert device.last_seen_at == now


def test_the_schema_is_published(client):
    response = client.get(API + "openapi.json")
    assert response.status_code == 200
    assert {API + "pair", API + "appointments", API + "me"} <= set(response.json()["paths"])
