"""The code a user's authenticator app shows now, so that the demo's dispatcher can sign in
from a shell without a phone (`make run` says so). Only with DJANGO_DEBUG on: a server in
production hands nobody a second factor."""

import time

from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the code a user's authenticator app shows now (demo only: DJANGO_DEBUG=true)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        if not settings.DEBUG:
            raise CommandError("totp_code is for the demo: it runs only with DJANGO_DEBUG=true.")
        totp = Authenticator.objects.filter(
            user__email__iexact=email.strip(), type=Authenticator.Type.TOTP
        ).first()
        if totp is None:
            raise CommandError(f"{email} has no authenticator app set up.")
        now = int(time.time())
        code = format_hotp_value(
            hotp_value(decrypt(totp.data["secret"]), now // app_settings.TOTP_PERIOD)
        )
        self.stdout.write(code)
        self.stderr.write(
            f"Good for {app_settings.TOTP_PERIOD - now % app_settings.TOTP_PERIOD} s."
        )
