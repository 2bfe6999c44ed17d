import time
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from scheduling.timelabels import DISPATCH, local_text


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/Oslo.")


def customer_account(user) -> "ServiceAccount | None":
    """The site whose appointments a signed-in user sees. The user model is the project's;
    CUSTOMER_ACCOUNT_FIELD names its link to ServiceAccount."""
    return getattr(user, settings.CUSTOMER_ACCOUNT_FIELD, None)


def zone_for(*, customer=None, account: "ServiceAccount | None" = None) -> zoneinfo.ZoneInfo:
    """The time zone a customer sees times in: their own, else their site's, else the
    portal's default. The one place that decides it."""
    account = account or (customer_account(customer) if customer is not None else None)
    name = getattr(customer, "time_zone", "") or (account.time_zone if account else "")
    return zoneinfo.ZoneInfo(name or settings.PORTAL_DEFAULT_TIME_ZONE)


class Territory(models.Model):
    """A service area; customers' sites and resources belong to one."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "territories"

    def __str__(self) -> str:
        return self.name


class ServiceAccount(models.Model):
    """A customer's site: where the technician goes."""

    name = models.CharField(max_length=200)
    address = models.TextField(help_text="Street, postal code, city, country.")
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="accounts")
    latitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text="Leave empty to look it up from the address.",
    )
    longitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text="Leave empty to look it up from the address.",
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="IANA name such as America/Los_Angeles; found from the location when empty.",
    )
    location_error = models.CharField(
        max_length=300,
        blank=True,
        editable=False,
        help_text="Why the address could not be located, when it could not.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__isnull=False, longitude__isnull=False),
                name="service_account_location_complete",
                violation_error_message="Give both latitude and longitude, or neither.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_location(self) -> bool:
        return self.latitude is None or self.longitude is None

    @property
    def point(self) -> tuple[float, float] | None:
        if self.needs_location:
            return None
        return (self.latitude, self.longitude)


class Characteristic(models.Model):
    """A skill or certification, e.g. "HVAC certified"."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Resource(models.Model):
    """A bookable technician: "Resource" in the code, "Technician" on every screen."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="resource"
    )
    territories = models.ManyToManyField(Territory, related_name="resources")
    characteristics = models.ManyToManyField(Characteristic, blank=True, related_name="resources")
    home_address = models.TextField(blank=True)
    home_latitude = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    home_longitude = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Working hours are in this time zone.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "technician"
        verbose_name_plural = "technicians"

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.email

    @property
    def first_name(self) -> str:
        """What a customer is told of their technician: the first name, never the rest."""
        return self.user.first_name.strip()

    @property
    def home(self) -> tuple[float, float]:
        return (self.home_latitude, self.home_longitude)


class WorkingHours(models.Model):
    """One working period on one weekday; several rows make a split day."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="hours", verbose_name="technician"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["resource", "weekday", "start"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")),
                name="working_hours_start_before_end",
                violation_error_message="The period must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class TimeOff(models.Model):
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="time_off", verbose_name="technician"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")),
                name="time_off_start_before_end",
                violation_error_message="Time off must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        zone = self.resource.time_zone  # time off is on the technician's clock
        start, end = (local_text(t, zone, DISPATCH) for t in (self.start, self.end))
        return f"{self.resource}: {start} – {end}"


class Closure(models.Model):
    """A date the territory takes no visits (a public holiday): a calendar date in each
    site's own zone, so a holiday is the whole local day wherever the site is."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    name = models.CharField(max_length=100, help_text="Shown to customers: “Closed for …”.")

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "date"],
                name="closure_one_per_territory_and_date",
                violation_error_message="This territory is already closed on that date.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.territory}: {self.name} ({self.date:%Y-%m-%d})"


class Product(models.Model):
    """What the customer asks service for, e.g. "Heat pump"."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# A visit fits in one working window, which is one local day's hours: never longer than a
# day. Held by a constraint, reading a technician's appointments can look no further back
# than this before the time asked about (planning.load_stops).
LONGEST_VISIT = timedelta(days=1)


class ServiceType(models.Model):
    """The kind of visit: how long it takes and what skills it needs."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    duration = models.DurationField(help_text="How long the visit takes, e.g. 01:30:00.")
    required_characteristics = models.ManyToManyField(
        Characteristic, blank=True, related_name="service_types"
    )
    products = models.ManyToManyField(Product, related_name="service_types")
    bookable_on_portal = models.BooleanField(
        default=True, help_text="Customers can book this themselves."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration__gt=timedelta(0)),
                name="service_type_positive_duration",
                violation_error_message="The duration must be more than zero.",
            ),
            models.CheckConstraint(
                condition=models.Q(duration__lte=LONGEST_VISIT),
                name="service_type_at_most_a_day",
                violation_error_message="A visit can take at most 24 hours.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SchedulingSettings(models.Model):
    """Booking rules dispatchers change in admin. One row."""

    slot_step_minutes = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(5)],
        help_text="Offered start times are this far apart.",
    )
    horizon_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1)],
        help_text="How many days ahead customers can book.",
    )
    min_notice_minutes = models.PositiveIntegerField(
        default=120, help_text="The earliest a customer can book ahead of the start."
    )
    change_cutoff_minutes = models.PositiveIntegerField(
        default=120, help_text="Customers can modify or cancel until this long before the start."
    )
    max_travel_km = models.FloatField(
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Furthest a technician's home base may be from the customer; 0 means no limit.",
    )
    travel_speed_kmh = models.FloatField(
        default=40,
        validators=[MinValueValidator(1)],
        help_text="Average speed used to leave travel time between visits.",
    )

    class Meta:
        verbose_name = "scheduling settings"
        verbose_name_plural = "scheduling settings"

    def __str__(self) -> str:
        return "Scheduling settings"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        type(self).forget()

    # Every slots request reads the rules; a process keeps them this long. A change made in
    # admin reaches every worker within that time (at once in the process that saved it).
    CACHE_SECONDS = 10.0
    _cached: "tuple[float, SchedulingSettings] | None" = None

    @classmethod
    def current(cls) -> "SchedulingSettings":
        """The row, or the defaults while no dispatcher has saved any (reads never write).
        Treat it as read-only: it is shared."""
        now = time.monotonic()
        if cls._cached is not None and now - cls._cached[0] < cls.CACHE_SECONDS:
            return cls._cached[1]
        row = cls.objects.filter(pk=1).first() or cls(pk=1)
        cls._cached = (now, row)
        return row

    @classmethod
    def forget(cls) -> None:
        cls._cached = None


class Appointment(models.Model):
    """One booking of one resource at one service account, the period [start, end)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        TRAVELING = "traveling", "Traveling"
        IN_PROGRESS = "in_progress", "In Progress"
        COMPLETED = "completed", "Completed"
        CANCELED = "canceled", "Canceled"

    # States that hold the resource's time.
    ACTIVE = (Status.SCHEDULED, Status.TRAVELING, Status.IN_PROGRESS)

    # The (service_account, start) and (resource, start) indexes below serve these two
    # as well: one index less for every booking to write.
    service_account = models.ForeignKey(
        ServiceAccount, on_delete=models.PROTECT, related_name="appointments", db_index=False
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        help_text="Who booked it.",
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="appointments")
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="appointments"
    )
    resource = models.ForeignKey(
        Resource,
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,
        verbose_name="technician",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    comments = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)
    travel_distance_km = models.FloatField(
        null=True, blank=True, help_text="From the technician's previous stop when booked."
    )
    sequence = models.PositiveIntegerField(
        default=0, help_text="Calendar revision, raised by each change."
    )
    booking_token = models.UUIDField(
        null=True, blank=True, unique=True, editable=False, help_text="Makes a resubmit harmless."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["resource", "start"]),
            models.Index(fields=["service_account", "start"]),
            models.Index(fields=["status", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")), name="appointment_start_before_end"
            ),
            # As a length (end - start), not as start + 1 day: in a session whose time zone
            # has DST, PostgreSQL's "1 day" past a change is 23 or 25 hours.
            models.CheckConstraint(
                condition=LessThanOrEqual(
                    models.ExpressionWrapper(
                        models.F("end") - models.F("start"), output_field=models.DurationField()
                    ),
                    LONGEST_VISIT,
                ),
                name="appointment_at_most_a_day",
                violation_error_message="A visit can take at most 24 hours.",
            ),
        ]
        # PostgreSQL also has an exclusion constraint, appointment_no_overlap, over
        # (resource, [start, end)) for active states; see migration 0003.

    def __str__(self) -> str:
        start = local_text(self.start, zone_for(account=self.service_account), DISPATCH)
        return f"{self.service_type} at {self.service_account} on {start}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class AppointmentEvent(models.Model):
    """History: every booking, status change, reschedule and cancel."""

    class Kind(models.TextChoices):
        BOOKED = "booked", "Booked"
        RESCHEDULED = "rescheduled", "Rescheduled"
        STATUS = "status", "Status changed"
        CANCELED = "canceled", "Canceled"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    from_status = models.CharField(max_length=12, blank=True, choices=Appointment.Status.choices)
    to_status = models.CharField(max_length=12, blank=True, choices=Appointment.Status.choices)
    from_start = models.DateTimeField(null=True, blank=True)
    to_start = models.DateTimeField(null=True, blank=True)
    from_resource = models.ForeignKey(
        Resource,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="from technician",
    )
    to_resource = models.ForeignKey(
        Resource,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="to technician",
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        zone = zone_for(account=self.appointment.service_account)
        return f"{self.get_kind_display()} at {local_text(self.at, zone, DISPATCH)}"


class DayBoard(Resource):
    """The dispatchers' day board in admin (scheduling.admin.DayBoardAdmin): no table of its
    own; it gives the board its place in admin's index and its permission,
    scheduling.view_day_board, which the Dispatchers group has."""

    class Meta:
        proxy = True
        verbose_name = "day board"
        verbose_name_plural = "day board"
        default_permissions = ()
        permissions = [("view_day_board", "Can view the day board")]
