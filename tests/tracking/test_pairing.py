"""Pairing: a one-time code from admin, exchanged once for the device's token, before it
expires; wrong codes from one client are limited."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.support.burst import burst
from tests.tracking.conftest import API
from tracking import devices, tokens
from tracking.models import Device

pytestmark = pytest.mark.django_db

PAIR = API + "pair"


def _pair(client, code, **extra):
    return client.post(PAIR, {"code": code, **extra}, content_type="application/json")


def test_a_code_is_short_to_type_and_has_50_bits_of_randomness(unpaired):
    code = devices.make_pairing_code(device=unpaired)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", code)
    codes = {devices.make_pairing_code(device=unpaired) for _ in range(50)}
    assert len(codes) == 50


def test_only_the_code_hash_is_stored_and_it_expires_after_the_setting(unpaired, settings):
    settings.PAIRING_CODE_TTL_MINUTES = 15
    code = devices.make_pairing_code(device=unpaired)
    row = Device.objects.filter(pk=unpaired.pk).values().get()
    assert row["pairing_code_hash"] == tokens.pairing_code_hash(code)
    plain = code.replace("-", "")
    assert not any(plain in str(v) or code in str(v) for v in row.values())
    assert row["pairing_expires_at"] == timezone.now() + timedelta(minutes=15)


def test_the_code_is_exchanged_for_a_token_shown_once(client, unpaired):
    code = devices.make_pairing_code(device=unpaired)

    response = _pair(client, code, device_name="Pixel 8")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body == {
        "token": body["token"],
        "device_id": unpaired.pk,
        "device_name": "Pixel 8",
        "technician": "Terry Tech",
    }
    assert body["token"].startswith("fpt_")
    unpaired.refresh_from_db()
    assert unpaired.token_hash == devices.token_hash(body["token"])
    assert (unpaired.name, unpaired.paired_at) == ("Pixel 8", timezone.now())
    me = client.get(API + "me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200


def test_a_code_is_typed_forgivingly_and_the_name_is_optional(client, unpaired):
    code = devices.make_pairing_code(device=unpaired)
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")

    response = _pair(client, typed)

    assert response.status_code == 200
    assert response.json()["device_name"] == "Terry's phone"


def test_a_code_works_once_and_a_replay_is_told_so(client, unpaired):
    code = devices.make_pairing_code(device=unpaired)
    first = _pair(client, code)
    assert first.status_code == 200

    replay = _pair(client, code)

    assert replay.status_code == 409
    assert replay.json()["field"] == "code"
    assert "already used" in replay.json()["detail"]
    me = client.get(API + "me", headers={"Authorization": f"Bearer {first.json()['token']}"})
    assert me.status_code == 200  # the replay changed nothing


def test_an_expired_code_is_refused(client, unpaired, settings):
    settings.PAIRING_CODE_TTL_MINUTES = 15
    code = devices.make_pairing_code(device=unpaired)

    with time_machine.travel(timezone.now() + timedelta(minutes=15), tick=False):
        response = _pair(client, code)

    assert response.status_code == 410
    assert response.json()["field"] == "code"
    assert "expired" in response.json()["detail"]
    unpaired.refresh_from_db()
    assert unpaired.token_hash is None


def test_a_code_one_second_before_its_expiry_works(client, unpaired, settings):
    settings.PAIRING_CODE_TTL_MINUTES = 15
    code = devices.make_pairing_code(device=unpaired)
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=-1), tick=False):
        assert _pair(client, code).status_code == 200


def test_a_wrong_code_is_refused_naming_the_field(client, unpaired):
    devices.make_pairing_code(device=unpaired)
    response = _pair(client, "AAAAA-AAAAA")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "That pairing code is not valid. Check it, or ask for a new one.",
        "field": "code",
    }


def test_a_new_code_replaces_the_old_one_and_pairing_again_replaces_the_token(
    client, device, bearer
):
    old_code = devices.make_pairing_code(device=device)
    new_code = devices.make_pairing_code(device=device)

    assert _pair(client, old_code).status_code == 400
    assert client.get(API + "me", headers=bearer).status_code == 200  # until the new one is used
    new_token = _pair(client, new_code).json()["token"]

    assert client.get(API + "me", headers=bearer).status_code == 401
    assert (
        client.get(API + "me", headers={"Authorization": f"Bearer {new_token}"}).status_code == 200
    )


def test_a_revoked_device_cannot_be_paired_again(client, unpaired):
    code = devices.make_pairing_code(device=unpaired)
    devices.revoke(device=unpaired)

    assert _pair(client, code).status_code == 400
    with pytest.raises(devices.DeviceError, match="revoked"):
        devices.make_pairing_code(device=unpaired)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "code"),
        ({"code": 12345}, "code"),
        ({"code": "x" * 65}, "code"),
        ({"code": "ABCDE", "device_name": "x" * 101}, "device_name"),
        ({"code": "ABCDE", "device_name": "nul\x00"}, "device_name"),
    ],
)
def test_a_malformed_request_is_422_naming_the_field_and_uses_no_attempt(
    client, settings, body, field
):
    settings.RATE_LIMIT_PAIR_FAILED = "1/15m/ip"
    response = client.post(PAIR, body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert _pair(client, "WRONG-CODE1").status_code == 400  # the one attempt is still there


def test_after_the_limit_of_wrong_codes_even_a_good_one_waits(client, unpaired, settings):
    settings.RATE_LIMIT_PAIR_FAILED = "3/15m/ip"
    code = devices.make_pairing_code(device=unpaired)
    for n in range(3):
        assert _pair(client, f"WRONG-{n:05d}").status_code == 400

    refused = _pair(client, code)

    assert refused.status_code == 429
    assert refused.json()["field"] == "code"
    assert refused["Retry-After"] == str(15 * 60)
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        assert _pair(client, code)["Retry-After"] == str(10 * 60)
    unpaired.refresh_from_db()
    assert unpaired.token_hash is None
    # Another client is not held back by this one's guesses.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert _pair(other, code).status_code == 200


def test_a_good_code_gives_its_attempt_back(client, technician, settings):
    settings.RATE_LIMIT_PAIR_FAILED = "1/15m/ip"
    for n in range(3):
        phone = Device.objects.create(resource=technician, name=f"Phone {n}")
        assert _pair(client, devices.make_pairing_code(device=phone)).status_code == 200
    assert _pair(client, "WRONG-CODE1").status_code == 400
    assert _pair(client, "WRONG-CODE2").status_code == 429


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_wrong_codes_looks_up_no_more_than_the_limit(settings, unpaired):
    settings.RATE_LIMIT_PAIR_FAILED = "5/15m/ip"

    lookups, statuses = burst(
        40,
        lambda n: _pair(Client(), f"GUESS-{n:05d}"),  # all from one address
        counting=re.compile(r'"pairing_code_hash" = '),
    )

    assert lookups == 5
    assert sorted(statuses) == [400] * 5 + [429] * 35
