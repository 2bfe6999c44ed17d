"""Remove pings older than the retention period, or than --older-than days."""

import argparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from tracking import partitions, retention


class Command(BaseCommand):
    help = (
        "Remove pings older than LOCATION_RETENTION_DAYS (or --older-than DAYS): whole days "
        "at a time on PostgreSQL, in short batches elsewhere."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=_days,
            default=None,
            metavar="DAYS",
            help="Age in days (default LOCATION_RETENTION_DAYS, "
            f"now {settings.LOCATION_RETENTION_DAYS}).",
        )

    def handle(self, *args, older_than: int | None, **options) -> None:
        days = settings.LOCATION_RETENTION_DAYS if older_than is None else older_than
        purged = retention.purge(older_than_days=days)
        if purged.days:
            first, last = purged.days[0], purged.days[-1]
            span = f"{first}" if first == last else f"{first} to {last}"
            self.stdout.write(f"Dropped {len(purged.days)} day(s) of pings: {span}.")
        elif partitions.partitioned():
            self.stdout.write(f"No whole day of pings is older than {days} days.")
        else:
            self.stdout.write(f"Deleted {purged.rows} ping(s) older than {days} days.")


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number of days, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"at least 0 days, not {value}")
    return value
