"""`manage.py totp_code <email>` prints the code the user's authenticator app shows now, for the
demo's dispatcher to sign in from a shell; only with DJANGO_DEBUG on."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.factories import PASSWORD
from tests.support.mfa import SECRET, enrol_totp, totp_code

pytestmark = pytest.mark.django_db


def _run(email: str) -> str:
    out = StringIO()
    call_command("totp_code", email, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_it_prints_the_code_the_app_shows_now(settings, desk_dispatcher):
    settings.DEBUG = True
    enrol_totp(desk_dispatcher, SECRET)
    assert _run("Dina@Example.com ") == totp_code(SECRET)


def test_the_printed_code_signs_in(settings, client, desk_dispatcher):
    settings.DEBUG = True
    enrol_totp(desk_dispatcher)
    client.post(reverse("account_login"), {"login": desk_dispatcher.email, "password": PASSWORD})
    given = client.post(reverse("mfa_authenticate"), {"code": _run(desk_dispatcher.email)})
    assert given["Location"] == reverse("portal:home")


def test_a_user_without_the_app_is_an_error(settings, desk_dispatcher):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="has no authenticator app"):
        _run(desk_dispatcher.email)


def test_it_refuses_outside_the_demo(settings, desk_dispatcher):
    settings.DEBUG = False
    enrol_totp(desk_dispatcher)
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        _run(desk_dispatcher.email)
