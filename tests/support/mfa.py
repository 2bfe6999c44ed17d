"""Staff with the second factor admin asks for: an authenticator app (TOTP) set up with a known
secret, codes computed from it as the phone's app would (allauth's own TOTP helpers), and a
test client whose session signed in with it."""

import time

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.http import HttpRequest
from django.test import Client

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrol_totp(user, secret: str = SECRET) -> Authenticator:
    """The user's authenticator app, set up with `secret` (once)."""
    found = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return found or TOTP.activate(user, secret).instance


def totp_code(secret: str = SECRET, *, steps: int = 0, at: float | None = None) -> str:
    """The code the app shows now (or at the Unix time `at`, or `steps` periods later) for
    `secret`."""
    counter = int(time.time() if at is None else at) // app_settings.TOTP_PERIOD + steps
    return format_hotp_value(hotp_value(secret, counter))


def sign_in_with_totp(client: Client, user) -> Client:
    """`client` signed in as `user` as if through sign-in and the app's code: the user has an
    authenticator app and the session records the second factor, as allauth's sign-in does."""
    authenticator = enrol_totp(user)
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    request.session.save()
    return client
