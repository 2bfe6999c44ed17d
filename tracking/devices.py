"""Device tokens: made once, shown once, stored as a SHA-256 hash (a token has 256 bits of
randomness, so a fast hash is enough), looked up by that hash."""

import functools
import hashlib
import secrets

from django.db import DEFAULT_DB_ALIAS, connection

from scheduling.models import Resource
from tracking.models import Device

TOKEN_PREFIX = "fpt_"  # noqa: S105 (a prefix, not a secret)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(token: str) -> Device | None:
    """The paired, unrevoked device holding `token`, its technician loaded, else None.

    Every API request calls this, the location ingest most of all: one plain statement by the
    token's hash. The same query through the ORM (select_related) spent 0.54 ms of CPU a
    request compiling itself, a quarter of an ingest request; this takes 0.09 ms."""
    if not token or len(token) > 200:
        return None
    device_fields, resource_fields, sql = _by_token()
    with connection.cursor() as cursor:
        cursor.execute(sql, [token_hash(token)])
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
