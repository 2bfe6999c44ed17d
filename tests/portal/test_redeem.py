"""Redeem an invitation on the sign-in page, create a profile, land signed in."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Invitation, User
from portal.views import REDEEM_SESSION_KEY
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db

REDEEM = reverse("portal:redeem")
PROFILE = reverse("portal:create_profile")


@pytest.fixture
def invitation(account):
    return InvitationFactory(service_account=account, email="bob@example.com")


def _profile_form(**overrides):
    return {
        "first_name": "Bob",
        "last_name": "Builder",
        "phone": "+1 206 555 0199",
        "time_zone": "America/Los_Angeles",
        "password1": "a-long-enough-passphrase",
        "password2": "a-long-enough-passphrase",
    } | overrides


def test_the_invitation_link_opens_the_redeem_tab_with_the_code_filled_in(client, invitation):
    response = client.get(REDEEM, {"code": invitation.display_code})

    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{invitation.display_code}"' in html
    assert f'href="{REDEEM}" class="tab" aria-current="page">Redeem invitation' in html
    assert "Sign in</a>" in html


def test_the_sign_in_page_offers_both_tabs(client):
    html = client.get(reverse("account_login")).content.decode()
    assert 'aria-current="page">Sign in</a>' in html
    assert f'href="{REDEEM}" class="tab">Redeem invitation</a>' in html


def test_redeeming_then_creating_a_profile_signs_in_and_lands_home(client, invitation, account):
    response = client.post(REDEEM, {"code": invitation.display_code.lower()})
    assert response.status_code == 302
    assert response["Location"] == PROFILE

    page = client.get(PROFILE)
    assert "bob@example.com" in page.content.decode()
    assert account.name in page.content.decode()

    response = client.post(PROFILE, _profile_form(), follow=True)

    assert response.redirect_chain == [(reverse("portal:home"), 302)]
    assert "Welcome, Bob!" in response.content.decode()
    assert "Upcoming appointments" in response.content.decode()
    user = User.objects.get(email="bob@example.com")
    assert response.context["user"] == user
    assert (user.first_name, user.phone, user.service_account) == (
        "Bob",
        "+1 206 555 0199",
        account,
    )
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REDEEMED
    assert REDEEM_SESSION_KEY not in client.session


def test_the_time_zone_defaults_from_the_account(client, invitation, account):
    account.time_zone = "America/Chicago"
    account.save()
    client.post(REDEEM, {"code": invitation.code})
    response = client.get(PROFILE)
    assert response.context["form"].initial["time_zone"] == "America/Chicago"


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"status": Invitation.Status.REDEEMED}, "already been used"),
        ({"status": Invitation.Status.REVOKED}, "withdrawn"),
        ({"status": Invitation.Status.EXPIRED}, "has expired"),
        ({"expires_at": timezone.now() - timedelta(hours=1)}, "has expired"),
    ],
)
def test_an_unusable_code_says_why_on_the_form(client, account, state, message):
    invitation = InvitationFactory(service_account=account, **state)
    response = client.post(REDEEM, {"code": invitation.code})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["redeem_form"].errors["code"]
    assert REDEEM_SESSION_KEY not in client.session


def test_a_wrong_code_is_kept_in_the_form_with_a_message(client, invitation):
    response = client.post(REDEEM, {"code": "NOPE-NOPE"})
    html = response.content.decode()
    assert "recognise that code" in html
    assert 'value="NOPE-NOPE"' in html
    assert 'aria-invalid="true"' in html


def test_an_empty_code_is_a_form_error(client):
    response = client.post(REDEEM, {"code": "  "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_the_profile_step_needs_a_redeemed_code_first(client):
    response = client.get(PROFILE, follow=True)
    assert response.redirect_chain[-1][0] == REDEEM
    assert "Enter your invitation code first." in response.content.decode()


def test_a_code_revoked_between_the_two_steps_is_refused(client, invitation):
    client.post(REDEEM, {"code": invitation.code})
    invitation.status = Invitation.Status.REVOKED
    invitation.save()

    response = client.post(PROFILE, _profile_form(), follow=True)

    assert "withdrawn" in response.content.decode()
    assert not User.objects.filter(email="bob@example.com").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password2": "something-else-entirely"}, "password2", "The two passwords differ."),
        ({"password1": "bob", "password2": "bob"}, "password1", "too short"),
        ({"first_name": ""}, "first_name", "This field is required."),
        ({"phone": "call me maybe"}, "phone", "Enter a phone number"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "Select a valid choice."),
    ],
)
def test_profile_errors_keep_the_invitation_pending(client, invitation, overrides, field, message):
    client.post(REDEEM, {"code": invitation.code})
    response = client.post(PROFILE, _profile_form(**overrides))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not User.objects.filter(email="bob@example.com").exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_a_replayed_profile_form_makes_one_account(client, invitation):
    client.post(REDEEM, {"code": invitation.code})
    first = client.post(PROFILE, _profile_form())
    second = client.post(PROFILE, _profile_form())

    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("portal:home")
    assert User.objects.filter(email="bob@example.com").count() == 1


def test_a_signed_in_customer_is_sent_home_from_the_redeem_tab(client, alice, invitation):
    client.force_login(alice)
    response = client.post(REDEEM, {"code": invitation.code})
    assert response["Location"] == reverse("portal:home")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_htmx_gets_the_form_fragment_back_and_a_client_redirect_on_success(client, invitation):
    wrong = client.post(REDEEM, {"code": "WRONG"}, headers={"HX-Request": "true"})
    assert wrong.status_code == 200
    html = wrong.content.decode()
    assert html.lstrip().startswith('<form id="redeem-form"')
    assert "<html" not in html

    right = client.post(REDEEM, {"code": invitation.code}, headers={"HX-Request": "true"})
    assert right["HX-Redirect"] == PROFILE


def test_repeated_wrong_codes_are_slowed_down(client, invitation):
    for _ in range(5):
        assert client.post(REDEEM, {"code": "GUESS"}).status_code == 200

    # Past the limit even the right code is not looked at.
    response = client.post(REDEEM, {"code": invitation.code})

    assert response.status_code == 429
    assert "Too many invitation codes were tried" in response.content.decode()
    assert REDEEM_SESSION_KEY not in client.session


def test_the_limit_is_per_client(client, invitation, settings):
    for _ in range(5):
        client.post(REDEEM, {"code": "GUESS"}, REMOTE_ADDR="10.0.0.1")
    response = client.post(REDEEM, {"code": invitation.code}, REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 302


def test_good_codes_do_not_count_as_failures(client, account):
    for _ in range(6):
        invitation = InvitationFactory(service_account=account)
        client.post(REDEEM, {"code": invitation.code})
        assert client.session[REDEEM_SESSION_KEY] == invitation.pk


def test_signup_is_closed_except_by_invitation(client):
    page = client.get(reverse("account_signup"))
    assert "Sign Up Closed" in page.content.decode()

    client.post(
        reverse("account_signup"),
        {
            "email": "mallory@example.com",
            "password1": "x-long-pass-1",
            "password2": "x-long-pass-1",
        },
    )
    assert not User.objects.filter(email="mallory@example.com").exists()
