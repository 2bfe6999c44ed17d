"""The pings table on PostgreSQL: partitioned by range of `recorded_at`, one partition per
UTC day, so that retention drops whole days (a catalogue change, no row-by-row delete and no
long lock) and each day's index stays small.

Partitions are made ahead: at every `migrate` for the whole retention window and a week
ahead, and hourly by the beat task (tracking.tasks.create_location_partitions). Should a
point still arrive for a day without one (the beat stopped for a week, a clock far off, a
day dropped by the purge while its last points waited in the queue), the insert fails and the
worker makes that day's partition and inserts again (tracking.ingest.store): no point is lost
and none is parked elsewhere. A DEFAULT partition was the other way; it was not taken because
rows left in it stop that day's partition from ever being created (PostgreSQL refuses a
partition whose range rows of the default already hold) and dropping days never removes them.

On other databases (SQLite under `make run`) the table is a plain one and these do nothing."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

TABLE = "tracking_ping"
DAYS_AHEAD = 7
# pg_advisory_xact_lock key: makers of partitions (workers, beat, migrate) queue on it, so
# two never race to create the same table.
_LOCK = 0x7069_6E67  # "ping"


def partitioned() -> bool:
    return connection.vendor == "postgresql"


def create_table(schema_editor: BaseDatabaseSchemaEditor, model) -> None:
    """Create the pings table: on PostgreSQL as Django would, partitioned by day."""
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.create_model(model)
        return
    sql, params = schema_editor.table_sql(model)
    schema_editor.execute(f"{sql} PARTITION BY RANGE (recorded_at)", params or None)


def name(day: date) -> str:
    return f"{TABLE}_{day:%Y%m%d}"


def window(now: datetime) -> list[date]:
    """The days a point may be accepted for: the retention period up to a week ahead."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=settings.LOCATION_RETENTION_DAYS)
    return [first + timedelta(days=n) for n in range((today - first).days + DAYS_AHEAD + 1)]


def create(days: Iterable[date]) -> list[date]:
    """Make the partitions of these days that are missing; the days made."""
    if not partitioned():
        return []
    made = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
        have = set(existing())
        for day in sorted(set(days) - have):
            # DDL takes no bound parameters (the connection binds them on the server): the
            # bounds are our own dates, written as literals.
            bounds = (day, day + timedelta(days=1))
            start, end = (f"'{d:%Y-%m-%d} 00:00:00+00'" for d in bounds)
            cursor.execute(
                f'CREATE TABLE "{name(day)}" PARTITION OF "{TABLE}" '
                f"FOR VALUES FROM ({start}) TO ({end})"
            )
            made.append(day)
    return made


def existing() -> list[date]:
    """The days that have a partition, oldest first."""
    if not partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    prefix = f"{TABLE}_"
    return sorted(
        datetime.strptime(n.removeprefix(prefix), "%Y%m%d").date()
        for n in names
        if n.startswith(prefix)
    )


def drop_before(cutoff: datetime) -> list[date]:
    """Drop each day whose whole range is older than `cutoff`; the days dropped. Each drop
    is its own short transaction: it locks the table only to change the catalogue, and a
    lock that cannot be had within lock_timeout fails this run, not the inserts."""
    if not partitioned():
        return []
    dropped = []
    for day in existing():
        if datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC) > cutoff:
            break
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            cursor.execute(f'DROP TABLE IF EXISTS "{name(day)}"')
        dropped.append(day)
    return dropped


def is_missing_partition(error: Exception) -> bool:
    """Whether a failed insert failed for want of a partition for one of its rows."""
    # 23514 (check_violation) is what PostgreSQL raises for "no partition of relation ...
    # found for row"; the pings table has no CHECK constraint that could raise it otherwise.
    return getattr(error.__cause__, "sqlstate", None) == "23514"
