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


def test_sign_in_errors_go_through_the_error_summary(client, alice):
    response = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": "wrong"}
    )
    html = response.content.decode()
    summary = html[html.index('<div class="form-errors" role="alert"') :]
    assert "There is a problem:" in summary
    assert "The email address and/or password you specified are not correct." in summary
    assert 'id="login-submit"' in html

    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    assert '<a href="#id_login">' in response.content.decode()


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


@pytest.mark.parametrize(("proxies", "shared"), [(1, False), (0, True)], ids=["trusted", "not"])
def test_behind_a_trusted_proxy_the_limit_is_per_forwarded_client(
    client, invitation, settings, proxies, shared
):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(5):
        client.post(REDEEM, {"code": "GUESS"}, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)

    # The proxy appends the address it saw; what a client sends itself is not trusted.
    forwarded = "203.0.113.5, 198.51.100.7"
    response = client.post(
        REDEEM, {"code": invitation.code}, HTTP_X_FORWARDED_FOR=forwarded, **proxy
    )

    assert response.status_code == (429 if shared else 302)


def test_a_customer_who_signed_in_after_redeeming_cannot_make_a_second_account(
    client, alice, invitation
):
    client.post(REDEEM, {"code": invitation.code})
    client.force_login(alice)

    response = client.post(PROFILE, _profile_form(), follow=True)

    assert response.redirect_chain == [(reverse("portal:home"), 302)]
    assert "You are already signed in. Sign out to redeem another invitation." in (
        response.content.decode()
    )
    assert response.context["user"] == alice
    assert not User.objects.filter(email="bob@example.com").exists()
    assert REDEEM_SESSION_KEY not in client.session
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_a_wrong_code_is_summarised_in_an_alert_linking_to_the_field(client, invitation):
    response = client.post(REDEEM, {"code": "WRONG"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert '<div class="form-errors" role="alert" tabindex="-1"' in html
    assert "There is a problem:" in html
    assert '<a href="#id_code">Invitation code: We don&#x27;t recognise that code.' in html
    # htmx puts the focus back on an element with the same id after the swap.
    assert 'id="redeem-submit"' in html


def test_too_many_attempts_is_in_the_error_summary(client, invitation):
    for _ in range(5):
        client.post(REDEEM, {"code": "GUESS"})
    response = client.post(REDEEM, {"code": "GUESS"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 429
    summary = html[html.index('role="alert"') : html.index("</div>")]
    assert "Too many invitation codes were tried" in summary


def test_profile_errors_are_summarised_with_links_to_each_field(client, invitation):
    client.post(REDEEM, {"code": invitation.code})
    response = client.post(PROFILE, _profile_form(first_name="", phone="call me maybe"))

    html = response.content.decode()
    assert 'role="alert"' in html
    assert '<a href="#id_first_name">First name: This field is required.</a>' in html
    assert '<a href="#id_phone">Phone: Enter a phone number' in html
    assert 'id="create-profile-submit"' in html
