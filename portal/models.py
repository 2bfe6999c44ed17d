from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from common import codes
from scheduling.models import ServiceAccount, validate_time_zone

# A closed account's address is rewritten into this reserved domain (RFC 2606: ".invalid"
# never resolves), and no mail is written or delivered to it (portal.mail, portal.outbox).
CLOSED_ACCOUNT_DOMAIN = "closed.invalid"


def closed_address(user_id: int) -> str:
    return f"closed-{user_id}@{CLOSED_ACCOUNT_DOMAIN}"


def is_closed_address(address: str) -> bool:
    return address.strip().lower().rstrip(">").endswith("@" + CLOSED_ACCOUNT_DOMAIN)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("Users need an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """Customers, dispatchers and technicians alike; customers have a service account."""

    username = None
    email = models.EmailField("email address", unique=True)
    phone = models.CharField(max_length=32, blank=True)
    # Empty: the site's time zone. Customers made in admin get no zone of their own, so they
    # see times where their site is rather than in UTC. (Validators skip empty values.)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        default="",
        validators=[validate_time_zone],
        help_text="IANA name such as America/Los_Angeles; empty means the site's time zone.",
    )
    service_account = models.ForeignKey(
        ServiceAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        help_text="Set for customers: the site whose appointments they see.",
    )
    closed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the customer closed the account; their personal data was erased then.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Invitation(models.Model):
    """A dispatcher's invitation for one contact to join one service account."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        REDEEMED = "redeemed", "Redeemed"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    contact_name = models.CharField(max_length=200)
    email = models.EmailField()
    service_account = models.ForeignKey(
        ServiceAccount, on_delete=models.PROTECT, related_name="invitations"
    )
    code = models.CharField(max_length=32, unique=True, editable=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    redeemed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="The invitation sent again in place of this one.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"])]
        constraints = [
            # Inviting again replaces the pending invitation (services.invite), never adds one.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_email",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contact_name} <{self.email}>"

    @property
    def display_code(self) -> str:
        """The code in groups of four, as printed in the mail."""
        return codes.grouped(self.code, 4)

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def current_status(self) -> str:
        """The status as it is now: a pending invitation past its expiry is expired even
        before the periodic task has written that down."""
        if self.status == self.Status.PENDING and self.is_expired():
            return self.Status.EXPIRED
        return self.status


class OutboxMessage(models.Model):
    """One mail, written in the transaction that caused it and delivered by a worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    subject = models.CharField(max_length=998)
    to = models.TextField(help_text="All recipients, comma-separated.")
    from_email = models.CharField(max_length=320)
    payload = models.JSONField(help_text="The message as Django's mail API built it.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        verbose_name = "outbox message"

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
