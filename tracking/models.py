from django.conf import settings
from django.db import models

from common.optouts import CustomerOptOut
from scheduling.models import Resource


class Device(models.Model):
    """A technician's phone or tracker app, paired in admin with a one-time code and then
    known by a token. Only hashes of the code and the token are stored."""

    resource = models.ForeignKey(
        Resource,
        on_delete=models.CASCADE,
        related_name="devices",
        verbose_name="technician",
    )
    name = models.CharField(max_length=100, help_text="For example “Sam's phone”.")
    pairing_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    pairing_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # NULL until paired: unique, yet many devices may be waiting for their first token.
    token_hash = models.CharField(  # noqa: DJ001
        max_length=64, unique=True, null=True, editable=False
    )
    paired_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["resource", "name"]
        # The dispatchers' map (tracking.admin.DispatchMapAdmin) shows what devices report.
        permissions = [("view_dispatch_map", "Can view the dispatch map")]

    def __str__(self) -> str:
        return f"{self.name} ({self.resource})"


class Ping(models.Model):
    """One location report of a device, as the device measured it.

    Written only by the ingest worker, in bulk, and read by no customer-facing code (the map
    reads the latest position, tracking.positions). On PostgreSQL the table is partitioned by
    day of `recorded_at` (see tracking.partitions and migration 0002), which is why the
    primary key holds `recorded_at`: a unique key of a partitioned table must contain the
    partition key. A point the device sends again (it missed our answer) has the same key, and
    the insert skips it. Device and technician are kept as plain ids with no foreign-key
    constraint and no index of their own: those would cost each inserted row two more index
    lookups and updates (the key's index already starts with the device), and a removed
    device's pings stay until retention removes them."""

    pk = models.CompositePrimaryKey("device_id", "recorded_at", "point_id")
    device = models.ForeignKey(
        Device, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    recorded_at = models.DateTimeField(help_text="When the device measured it (UTC).")
    point_id = models.UUIDField(help_text="The device's id of the point.")
    resource = models.ForeignKey(
        Resource, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    accuracy = models.FloatField(help_text="Metres.")
    speed = models.FloatField(null=True, help_text="Metres per second.")
    heading = models.FloatField(null=True, help_text="Degrees from true north.")
    altitude = models.FloatField(null=True, help_text="Metres.")
    battery = models.FloatField(null=True, help_text="Per cent.")
    received_at = models.DateTimeField(help_text="When the API accepted it.")

    def __str__(self) -> str:
        return f"{self.device_id} at {self.recorded_at:%Y-%m-%d %H:%M:%S}"


class LatestPosition(models.Model):
    """Where each technician was last seen, for `make run` and any setup without Redis
    (tracking.positions keeps it in Redis otherwise). Moves forward only."""

    resource = models.OneToOneField(
        Resource, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    latitude = models.FloatField()
    longitude = models.FloatField()
    accuracy = models.FloatField()
    speed = models.FloatField(null=True)
    heading = models.FloatField(null=True)
    received_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.resource_id} at {self.recorded_at:%Y-%m-%d %H:%M:%S}"


class Notice(models.Model):
    """A mail telling the customer of a Traveling visit where the technician is (on the way,
    arriving soon, running late), one row per visit and kind. The row is inserted in the
    transaction that writes the mail to the outbox, and the unique constraint is what lets
    only one of two racing senders (two ingest workers, a batch delivered again) write it:
    the loser's insert fails and it sends nothing."""

    class Kind(models.TextChoices):
        ON_THE_WAY = "on_the_way", "On the way"
        ARRIVING_SOON = "arriving_soon", "Arriving soon"
        RUNNING_LATE = "running_late", "Running late"

    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    sent_at = models.DateTimeField(help_text="When it was written to the outbox.")
    arrival = models.DateTimeField(
        null=True, blank=True, help_text="The estimate the mail told (UTC); empty: none yet."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind"], name="notice_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, appointment {self.appointment_id}"


class NoticeOptOut(CustomerOptOut):
    """A customer who unsubscribed from the on-the-way notices (the link in each of them).
    Booking, change and cancel mails still go."""

    class Meta:
        verbose_name = "notice opt-out"


class DispatchMap(Resource):
    """The dispatchers' map in admin (tracking.admin.DispatchMapAdmin): the day's technicians
    on one map. No table and no permissions of its own: it gives the map its place in
    admin's index, and the map asks for tracking.view_dispatch_map (on Device), which the
    Dispatchers group has (superusers too)."""

    class Meta:
        proxy = True
        verbose_name = "dispatch map"
        verbose_name_plural = "dispatch map"
        default_permissions = ()
