"""Dispatchers sign in with a second factor: admin opens only to staff with an authenticator
app (TOTP) whose session gave its code; without one they are sent to set it up. Customers
sign in with their password alone."""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from cryptography.fernet import InvalidToken
from django.contrib.auth.models import Group
from django.urls import reverse

from portal.admin_site import SET_UP_FIRST
from portal.models import Invitation, OutboxMessage, User
from tests.factories import PASSWORD, UserFactory
from tests.support.mfa import SECRET, enrol_totp, totp_code

pytestmark = pytest.mark.django_db

ADMIN = reverse("admin:index")
APPOINTMENTS = reverse("admin:scheduling_appointment_changelist")
LOGIN = reverse("account_login")
AUTHENTICATE = reverse("mfa_authenticate")
ACTIVATE = reverse("mfa_activate_totp")
LAYOUT = 'class="site-header"'


def sign_in(client, email: str, next_url: str = APPOINTMENTS):
    """The portal's sign-in form, as posted from the page admin sent the user to."""
    return client.post(LOGIN, {"login": email, "password": PASSWORD, "next": next_url})


def landed(response) -> tuple[str, str | None]:
    """Where a followed response ended: the path, and the page it sends on to (next)."""
    url = urlsplit(response.redirect_chain[-1][0])
    return url.path, parse_qs(url.query).get("next", [None])[0]


def confirm_password(client):
    """allauth asks for the password again before an authenticator is set up."""
    return client.post(
        reverse("account_reauthenticate"), {"password": PASSWORD, "next": ACTIVATE}, follow=True
    )


def enter_code(client, code: str):
    return client.post(AUTHENTICATE, {"code": code})


def test_admin_sends_a_signed_out_visitor_to_the_portals_sign_in(client):
    response = client.get(APPOINTMENTS, follow=True)
    assert landed(response) == (LOGIN, APPOINTMENTS)
    html = response.content.decode()
    assert LAYOUT in html and 'id="login-submit"' in html


@pytest.mark.parametrize("group", ["Dispatchers", "Supervisors"])
def test_staff_without_an_authenticator_app_are_sent_to_set_one_up(client, group):
    staff = UserFactory(email="new@example.com", is_staff=True)
    staff.groups.add(Group.objects.get(name=group))
    assert sign_in(client, staff.email)["Location"] == APPOINTMENTS  # no code asked: none set

    asked = client.get(APPOINTMENTS, follow=True)
    assert landed(asked) == (reverse("account_reauthenticate"), ACTIVATE)
    assert SET_UP_FIRST in asked.content.decode()
    assert LAYOUT in asked.content.decode()

    response = confirm_password(client)

    assert landed(response) == (ACTIVATE, None)
    html = response.content.decode()
    assert LAYOUT in html
    assert f'<a href="{reverse("portal:profile")}">&larr; Back to your profile</a>' in html
    # The QR code is drawn inline (the policy refuses data: images); the secret is there too.
    secret = response.context["form"].secret
    assert "<svg" in html and "data:image" not in html
    assert f'value="{secret}"' in html


def test_without_an_authenticator_app_no_admin_page_answers(client, desk_dispatcher):
    sign_in(client, desk_dispatcher.email)
    for url in (ADMIN, APPOINTMENTS, reverse("admin:portal_invitation_add")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    posted = client.post(reverse("admin:portal_invitation_add"), {"email": "x@example.com"})
    assert posted.status_code == 302
    assert not Invitation.objects.exists()


def test_setting_up_the_app_then_giving_its_code_opens_admin(client, desk_dispatcher):
    sign_in(client, desk_dispatcher.email)
    secret = confirm_password(client).context["form"].secret
    wrong = client.post(ACTIVATE, {"code": totp_code(secret, steps=5)})
    assert "That code is not right." in wrong.content.decode()
    assert not Authenticator.objects.filter(user=desk_dispatcher).exists()

    client.post(ACTIVATE, {"code": totp_code(secret)})
    assert Authenticator.objects.filter(user=desk_dispatcher, type=Authenticator.Type.TOTP).exists()
    # Set up in a session signed in by password alone: admin asks for a code once.
    asked = client.get(APPOINTMENTS, follow=True)
    assert landed(asked) == (reverse("mfa_reauthenticate"), APPOINTMENTS)
    given = client.post(
        reverse("mfa_reauthenticate"), {"code": totp_code(secret), "next": APPOINTMENTS}
    )
    assert given["Location"] == APPOINTMENTS
    assert client.get(APPOINTMENTS).status_code == 200


def test_sign_in_asks_a_dispatcher_with_the_app_for_its_code(client, desk_dispatcher):
    enrol_totp(desk_dispatcher)

    response = sign_in(client, desk_dispatcher.email)

    assert response["Location"] == AUTHENTICATE
    page = client.get(AUTHENTICATE)
    html = page.content.decode()
    assert LAYOUT in html
    assert '<label for="id_code">Code</label>' in html
    assert 'autocomplete="one-time-code"' in html
    # Not signed in until the code is given.
    assert client.get(APPOINTMENTS)["Location"].startswith(reverse("admin:login"))
    assert "_auth_user_id" not in client.session


def test_a_wrong_code_is_refused_with_a_plain_message(client, desk_dispatcher):
    enrol_totp(desk_dispatcher)
    sign_in(client, desk_dispatcher.email)

    response = enter_code(client, totp_code(steps=-3))

    assert response.status_code == 200
    html = response.content.decode()
    assert "That code is not right. Enter the code your authenticator app shows now" in html
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    assert "_auth_user_id" not in client.session
    assert client.get(APPOINTMENTS).status_code == 302


def test_the_right_code_lets_the_dispatcher_in(client, desk_dispatcher):
    enrol_totp(desk_dispatcher)
    sign_in(client, desk_dispatcher.email)

    response = enter_code(client, totp_code())

    assert response["Location"] == APPOINTMENTS
    assert client.get(APPOINTMENTS).status_code == 200
    assert client.get(ADMIN).status_code == 200


def test_a_recovery_code_lets_the_dispatcher_in_once(client, desk_dispatcher):
    """Without the phone: one of the recovery codes shown when the app was set up, each
    good once."""
    enrol_totp(desk_dispatcher)
    codes = RecoveryCodes.activate(desk_dispatcher).get_unused_codes()
    sign_in(client, desk_dispatcher.email)

    assert enter_code(client, codes[0])["Location"] == APPOINTMENTS
    assert client.get(ADMIN).status_code == 200

    client.logout()
    sign_in(client, desk_dispatcher.email)
    assert "That code is not right." in enter_code(client, codes[0]).content.decode()
    assert client.get(ADMIN).status_code != 200


def test_guessing_codes_is_limited(client, desk_dispatcher):
    enrol_totp(desk_dispatcher)
    sign_in(client, desk_dispatcher.email)
    for steps in range(-5, 0):
        assert (
            "That code is not right." in enter_code(client, totp_code(steps=steps)).content.decode()
        )

    response = enter_code(client, totp_code())  # even the right one, for a while

    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_code_is_good_once(client, desk_dispatcher):
    enrol_totp(desk_dispatcher)
    sign_in(client, desk_dispatcher.email)
    enter_code(client, totp_code())
    client.post(reverse("account_logout"))

    sign_in(client, desk_dispatcher.email)
    again = enter_code(client, totp_code())

    assert "That code is not right." in again.content.decode()


def test_a_session_signed_in_without_the_code_is_asked_for_it(client, desk_dispatcher):
    # E.g. signed in before the app was set up: admin asks for the code, then opens.
    enrol_totp(desk_dispatcher)
    client.force_login(desk_dispatcher)

    response = client.get(APPOINTMENTS, follow=True)

    assert landed(response) == (reverse("mfa_reauthenticate"), APPOINTMENTS)
    assert LAYOUT in response.content.decode()


def test_customers_sign_in_without_a_second_factor(client, alice):
    response = client.post(LOGIN, {"login": alice.email, "password": PASSWORD})

    assert response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home")).status_code == 200
    assert client.get(ADMIN, follow=True).status_code == 403  # and admin is not theirs


def test_a_customer_may_turn_it_on_from_their_profile(client, alice):
    client.post(LOGIN, {"login": alice.email, "password": PASSWORD})
    profile = client.get(reverse("portal:profile")).content.decode()
    assert f'<a href="{reverse("mfa_index")}">Two-factor authentication</a>' in profile

    secret = confirm_password(client).context["form"].secret
    client.post(ACTIVATE, {"code": totp_code(secret)})
    client.post(reverse("account_logout"))

    assert client.post(LOGIN, {"login": alice.email, "password": PASSWORD})["Location"] == (
        AUTHENTICATE
    )
    assert enter_code(client, totp_code(secret))["Location"] == reverse("portal:home")


def test_superusers_too_are_sent_to_set_up_the_app(client, dispatcher):
    assert dispatcher.is_superuser
    client.post(LOGIN, {"login": dispatcher.email, "password": PASSWORD})

    response = client.get(APPOINTMENTS, follow=True)

    assert landed(response) == (reverse("account_reauthenticate"), ACTIVATE)
    assert SET_UP_FIRST in response.content.decode()


def test_staff_made_without_a_confirmed_address_confirm_it_at_first_sign_in(client):
    # As `createsuperuser` or admin's add form makes them; allauth then lets them add the app.
    root = User.objects.create_superuser("root@example.com", PASSWORD)

    response = sign_in(client, root.email)

    assert response["Location"] == reverse("account_email_verification_sent")
    assert OutboxMessage.objects.filter(to=root.email, subject__contains="Confirm").exists()
    assert client.get(APPOINTMENTS, follow=True).redirect_chain[-1][0].startswith(LOGIN)


def test_the_apps_secret_is_stored_encrypted_and_a_clear_one_from_before_still_works(
    client, desk_dispatcher, settings
):
    authenticator = enrol_totp(desk_dispatcher)
    stored = authenticator.data["secret"]
    assert SECRET not in stored
    assert get_mfa_adapter().decrypt(stored) == SECRET

    # Another key cannot read it (MFA_SECRETS_KEY is what encrypts it).
    settings.MFA_SECRETS_KEY = "another key"
    with pytest.raises(InvalidToken):
        get_mfa_adapter().decrypt(stored)
    settings.MFA_SECRETS_KEY = settings.SECRET_KEY

    # An authenticator set up before secrets were encrypted keeps working.
    Authenticator.objects.filter(pk=authenticator.pk).update(data={"secret": SECRET})
    sign_in(client, desk_dispatcher.email)
    assert enter_code(client, totp_code())["Location"] == APPOINTMENTS
