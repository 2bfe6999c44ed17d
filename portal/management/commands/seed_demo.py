"""Demo data for `make run`. Safe to run again: finds what is there, adds what is missing."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from portal import services
from portal.models import Invitation, User
from scheduling.models import ServiceAccount, Territory

DISPATCHER = ("dispatcher@example.com", "dispatch-demo-2026")
CUSTOMER = ("alice@example.com", "alice-demo-2026")
INVITEE = ("Bob Builder", "bob@example.com")

TERRITORIES = ["Seattle", "Eastside", "South Sound"]
# Real places with their coordinates, so travel distances in the demo mean something.
ACCOUNTS = [
    (
        "Alice Anderson residence",
        "400 Broad St, Seattle, WA 98109, USA",
        "Seattle",
        47.6205,
        -122.3493,
    ),
    ("Bob's Bakery", "1201 Alki Ave SW, Seattle, WA 98116, USA", "Seattle", 47.5779, -122.4088),
    ("Carol's Clinic", "15600 NE 8th St, Bellevue, WA 98008, USA", "Eastside", 47.6168, -122.1307),
    (
        "Redmond Town Homes",
        "16495 NE 74th St, Redmond, WA 98052, USA",
        "Eastside",
        47.6700,
        -122.1186,
    ),
    (
        "Tacoma Dome Offices",
        "2727 E D St, Tacoma, WA 98421, USA",
        "South Sound",
        47.2366,
        -122.4271,
    ),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default=settings.PORTAL_BASE_URL, help="Where the portal is served."
        )

    def handle(self, *args, base_url: str, **options):
        # The summary goes last, after commit, when any mail the load sent has been printed.
        invitation = self._load()
        self._print_summary(base_url.rstrip("/"), invitation)

    @transaction.atomic
    def _load(self) -> Invitation | None:
        territories = {name: Territory.objects.get_or_create(name=name)[0] for name in TERRITORIES}
        accounts = {}
        for name, address, territory, lat, lon in ACCOUNTS:
            accounts[name], _ = ServiceAccount.objects.get_or_create(
                name=name,
                defaults={
                    "address": address,
                    "territory": territories[territory],
                    "latitude": lat,
                    "longitude": lon,
                    "time_zone": "America/Los_Angeles",
                },
            )

        dispatcher = User.objects.filter(email=DISPATCHER[0]).first()
        if dispatcher is None:
            dispatcher = User.objects.create_superuser(
                DISPATCHER[0], DISPATCHER[1], first_name="Dana", last_name="Dispatcher"
            )
        customer = User.objects.filter(email=CUSTOMER[0]).first()
        if customer is None:
            customer = User.objects.create_user(
                CUSTOMER[0],
                CUSTOMER[1],
                first_name="Alice",
                last_name="Anderson",
                phone="+1 206 555 0100",
                time_zone="America/Los_Angeles",
                service_account=accounts["Alice Anderson residence"],
            )
        for user in (dispatcher, customer):
            EmailAddress.objects.get_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )

        invitation = (
            Invitation.objects.filter(
                email=INVITEE[1],
                status=Invitation.Status.PENDING,
                expires_at__gt=timezone.now(),
            )
            .order_by("-created_at")
            .first()
        )
        if invitation is None and not User.objects.filter(email=INVITEE[1]).exists():
            invitation = services.invite(
                contact_name=INVITEE[0],
                email=INVITEE[1],
                service_account=accounts["Bob's Bakery"],
                created_by=dispatcher,
            )

        return invitation

    def _print_summary(self, base: str, invitation: Invitation | None) -> None:
        lines = [
            "",
            "Demo data is loaded.",
            f"  Portal:            {base}/",
            f"  Customer sign-in:  {CUSTOMER[0]} / {CUSTOMER[1]}",
            f"  Dispatcher admin:  {base}/admin/  {DISPATCHER[0]} / {DISPATCHER[1]}",
        ]
        if invitation is not None:
            lines += [
                f"  Pending invitation for {INVITEE[1]}: code {invitation.display_code}",
                f"    open {base}/redeem/?code={invitation.display_code}",
            ]
        else:
            lines.append(f"  {INVITEE[1]} has redeemed the demo invitation and can sign in.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)) + "\n")
