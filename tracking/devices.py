"""Devices: a dispatcher makes a one-time pairing code in admin, the device exchanges it for
a token (tracking.tokens), and every API request authenticates with that token until the
device is revoked. Only hashes of codes and tokens are stored."""

import functools
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Q
from django.utils import timezone

from scheduling import caches
from scheduling.models import Resource
from tracking import tokens
from tracking.models import Device

# For the ingest helpers and tests: the token's primitives live with the log filter.
new_token = tokens.new_token
token_hash = tokens.token_hash

# "Last seen" is for people; writing it on every request would cost a write per ping batch.
LAST_SEEN_EVERY = timedelta(minutes=1)


class DeviceError(Exception):
    """A device cannot be changed that way; the message says why, for the dispatcher."""


class PairingError(Exception):
    """A pairing code cannot be exchanged; the message is for the technician."""


class WrongCode(PairingError):
    def __init__(self):
        super().__init__("That pairing code is not valid. Check it, or ask for a new one.")


class ExpiredCode(PairingError):
    def __init__(self):
        super().__init__("That pairing code has expired. Ask your dispatcher for a new one.")


class UsedCode(PairingError):
    def __init__(self):
        super().__init__(
            "That pairing code was already used. Ask your dispatcher for a new one to pair "
            "this device again."
        )


@transaction.atomic
def make_pairing_code(*, device: Device, now: datetime | None = None) -> str:
    """A new one-time code for `device`, shown once (as ABCDE-FGHJK): this is the only time
    it exists outside its hash. Any earlier code of the device stops working; a token it
    holds keeps working until the new code is used."""
    now = now or timezone.now()
    locked = Device.objects.select_for_update().get(pk=device.pk)
    if locked.revoked_at is not None:
        raise DeviceError(f"{locked.name} is revoked; add a new device to pair again.")
    code = tokens.new_pairing_code()
    locked.pairing_code_hash = tokens.pairing_code_hash(code)
    locked.pairing_expires_at = now + timedelta(minutes=settings.PAIRING_CODE_TTL_MINUTES)
    locked.save(update_fields=["pairing_code_hash", "pairing_expires_at"])
    device.pairing_code_hash = locked.pairing_code_hash
    device.pairing_expires_at = locked.pairing_expires_at
    return tokens.display_code(code)


@transaction.atomic
def pair(*, code: str, device_name: str = "", now: datetime | None = None) -> tuple[Device, str]:
    """Exchange a pairing code for the device's token (returned once, stored hashed). The
    code is used up: the device's earlier token, if any, stops working. A used code keeps
    its hash (without an expiry) so that a replay is told so rather than "not valid"."""
    now = now or timezone.now()
    device = (
        Device.objects.select_for_update(of=("self",))
        .select_related("resource__user")
        .filter(pairing_code_hash=tokens.pairing_code_hash(code), revoked_at__isnull=True)
        .first()
    )
    if device is None:
        raise WrongCode()
    if device.pairing_expires_at is None:
        raise UsedCode()
    if device.pairing_expires_at <= now:
        raise ExpiredCode()
    token = tokens.new_token()
    device.token_hash = tokens.token_hash(token)
    device.paired_at = now
    device.pairing_expires_at = None
    fields = ["token_hash", "paired_at", "pairing_expires_at"]
    if device_name.strip():
        device.name = device_name.strip()[: Device._meta.get_field("name").max_length]
        fields.append("name")
    device.save(update_fields=fields)
    return device, token


def revoke(*, device: Device, now: datetime | None = None) -> bool:
    """Its token and any pairing code stop working at once. False when it already was."""
    now = now or timezone.now()
    revoked = Device.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
        revoked_at=now, pairing_code_hash="", pairing_expires_at=None
    )
    if revoked:
        device.revoked_at, device.pairing_code_hash, device.pairing_expires_at = now, "", None
    # An update() sends no signal: the kept devices are renewed here, after the commit. On
    # every call, a device revoked before too: should that renewal have been lost (the cache
    # unreachable; logged), revoking again renews them at once rather than at the version's
    # expiry (10 minutes).
    caches.changed()
    return bool(revoked)


def authenticate(token: str, *, mark_seen: bool = True) -> Device | None:
    """The paired, unrevoked device holding `token` (its technician loaded), else None.

    Every API request calls this, the location ingest most of all: one plain statement by the
    token's hash (the same query through the ORM, select_related, spent 0.54 ms of CPU a
    request compiling itself, a quarter of an ingest request; this takes about 0.1 ms), and
    once a minute per device a second one that moves "last seen" on. The location endpoints
    (mark_seen=False) write nothing, their worker moves it with the batch (tracking.pings),
    and read no row: they take the device this process keeps (_kept_by_hash), which saved
    0.4 ms of app and 0.2 ms of database CPU of an ingest request's 2.4 (README.md, "Speed")."""
    if not token or not tokens.looks_like_token(token):
        return None
    if not mark_seen:
        return _kept_by_hash(tokens.token_hash(token))
    device = _by_hash(tokens.token_hash(token))
    if device is not None:
        now = timezone.now()
        if seen_due(device, now):
            note_seen(device.pk, now)
            device.last_seen_at = now
    return device


def seen_due(device: Device, now: datetime) -> bool:
    """Whether "last seen" is a minute or more behind `now`, as this request read it or as
    this process last asked for it to move (the location endpoints' device is the one this
    process keeps, whose "last seen" is as it was when kept)."""
    asked = _seen_asked.get(device.pk)
    last = max(filter(None, (device.last_seen_at, asked)), default=None)
    return last is None or last <= now - LAST_SEEN_EVERY


def seen_asked(device_id: int, now: datetime) -> None:
    """This process has asked for the device's "last seen" to move to `now`."""
    _seen_asked[device_id] = now


# Per process, a device id a line: when this process last asked for "last seen" to move.
_seen_asked: dict[int, datetime] = {}


def note_seen(device_id: int, now: datetime) -> None:
    # Conditional, so that concurrent requests of one device write it once, and a request
    # that read a stale value never moves back a fresher one written since.
    stale = now - LAST_SEEN_EVERY
    Device.objects.filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lte=stale), pk=device_id
    ).update(last_seen_at=now)


# The location endpoints' lookup, on every batch a device sends: the device as this process
# read it last, renewed in every process once a change to any device (scheduling.caches.watch)
# or a revocation (revoke, below) commits, so a revoked or re-paired token is refused from
# the next request on. An unknown token is kept too, as None: a flood of them costs what a
# lookup cost before, and pushes out the oldest kept devices, never more memory.
@caches.per_planning_version(maxsize=20_000)
def _kept_by_hash(digest: str) -> Device | None:
    return _by_hash(digest)


def _by_hash(digest: str) -> Device | None:
    if connection.vendor != "postgresql":
        # make run's SQLite gives dates as text: the ORM converts them.
        found = Device.objects.select_related("resource")
        return found.filter(token_hash=digest, revoked_at__isnull=True).first()
    device_fields, resource_fields, sql = _by_token()
    with connection.cursor() as cursor:
        cursor.execute(sql, [digest])
        row = cursor.fetchone()
    if row is None:
        return None
    device = Device.from_db(DEFAULT_DB_ALIAS, device_fields, row[: len(device_fields)])
    device.resource = Resource.from_db(DEFAULT_DB_ALIAS, resource_fields, row[len(device_fields) :])
    return device


@functools.cache
def _by_token() -> tuple[list[str], list[str], str]:
    """The two models' fields and the statement that reads them, made once from the models."""
    device = Device._meta.concrete_fields
    resource = Resource._meta.concrete_fields
    columns = [f'd."{f.column}"' for f in device] + [f'r."{f.column}"' for f in resource]
    sql = (
        f"SELECT {', '.join(columns)} FROM {Device._meta.db_table} d "  # noqa: S608 (names from the models)
        f"JOIN {Resource._meta.db_table} r ON r.id = d.resource_id "
        "WHERE d.token_hash = %s AND d.revoked_at IS NULL"
    )
    return [f.attname for f in device], [f.attname for f in resource], sql
