"""Make the pings table's day partitions for the retention window and a week ahead."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from tracking import partitions


class Command(BaseCommand):
    help = (
        "Make the missing day partitions of the pings table (PostgreSQL) for the retention "
        "window and a week ahead; the hourly beat task does the same."
    )

    def handle(self, *args, **options) -> None:
        if not partitions.partitioned():
            self.stdout.write("The pings table is not partitioned on this database.")
            return
        made = partitions.create(partitions.window(timezone.now()))
        self.stdout.write(
            f"Made {len(made)} partition(s)" + (f": {made[0]} to {made[-1]}." if made else ".")
        )
