"""Redeem an invitation on the sign-in page, create a profile, land signed in."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection
from django.test import Client
from django.urls import reverse

from portal.models import Invitation, User
from portal.views import REDEEM_SESSION_KEY
from tests.factories import InvitationFactory
from tests.support.race import race

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


def test_names_from_the_invitation_prefill_the_profile_form(client, account):
    invitation = InvitationFactory(service_account=account, contact_name="  Mary   Ann Smith ")
    client.post(REDEEM, {"code": invitation.code})
    response = client.get(PROFILE)

    html = response.content.decode()
    assert 'name="first_name" value="Mary"' in html
    assert 'name="last_name" value="Ann Smith"' in html


def test_a_single_word_contact_name_prefills_the_first_name_only(client, account):
    invitation = InvitationFactory(service_account=account, contact_name="Cher")
    client.post(REDEEM, {"code": invitation.code})
    initial = client.get(PROFILE).context["form"].initial
    assert (initial["first_name"], initial["last_name"]) == ("Cher", "")


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"status": Invitation.Status.REDEEMED}, "already been used"),
        ({"status": Invitation.Status.REVOKED}, "withdrawn"),
        ({"status": Invitation.Status.EXPIRED}, "has expired"),
        ({"expires_at": timedelta(hours=-1)}, "has expired"),  # from now, when the test runs
    ],
)
def test_an_unusable_code_says_why_on_the_form(client, clock, account, state, message):
    if "expires_at" in state:
        state = {"expires_at": clock.now + state["expires_at"]}
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


def _at_the_profile_step(invitation) -> Client:
    """Someone who entered the invitation's code and now has the profile form open."""
    browser = Client()
    assert browser.post(REDEEM, {"code": invitation.code})["Location"] == PROFILE
    return browser


def _outcomes(responses) -> tuple[list[str], list[str]]:
    """Where the winners landed, and the form errors the others were shown."""
    landed = [r["Location"] for r in responses if r.status_code == 302]
    errors = []
    for refused in (r for r in responses if r.status_code == 200):
        errors += refused.context["form"].non_field_errors()
        assert all(e in refused.content.decode() for e in errors)
    return landed, errors


@pytest.mark.django_db(transaction=True)
def test_one_code_redeemed_in_two_browsers_at_once_makes_one_account(invitation):
    browsers = [_at_the_profile_step(invitation) for _ in range(2)]

    # Both submit while the invitation row is locked, so both are inside the redemption,
    # queued on that lock, before either can finish.
    responses = race(
        [lambda b=b: b.post(PROFILE, _profile_form()) for b in browsers],
        gate=lambda: Invitation.objects.select_for_update().get(pk=invitation.pk),
    )

    landed, errors = _outcomes(responses)
    assert landed == [reverse("portal:home")]
    assert errors == [
        "This invitation has already been used. Sign in, or reset your password if you "
        "have forgotten it."
    ]
    [user] = User.objects.all()
    invitation.refresh_from_db()
    assert (invitation.status, invitation.redeemed_by) == (Invitation.Status.REDEEMED, user)


@pytest.mark.django_db(transaction=True)
def test_an_account_made_elsewhere_while_redeeming_leaves_one_account(invitation):
    # Two pending invitations for one address cannot exist (a partial unique index), but an
    # account can still be made for the address in admin at the moment the code is redeemed.
    browser = _at_the_profile_step(invitation)
    users = connection.ops.quote_name(User._meta.db_table)

    # Both wait behind a lock on the users table, having found no account for the address.
    redeemed, made = race(
        [
            lambda: browser.post(PROFILE, _profile_form()),
            lambda: User.objects.create_user(email="bob@example.com", password=None),
        ],
        gate=lambda: connection.cursor().execute(f"LOCK TABLE {users} IN SHARE MODE"),
    )

    assert User.objects.filter(email="bob@example.com").count() == 1
    invitation.refresh_from_db()
    if isinstance(made, User):
        landed, errors = _outcomes([redeemed])
        assert landed == []
        assert errors == [
            "An account for bob@example.com already exists. Sign in, or reset your password."
        ]
        assert invitation.status == Invitation.Status.PENDING
    else:
        assert isinstance(made, IntegrityError)
        assert redeemed["Location"] == reverse("portal:home")
        assert invitation.status == Invitation.Status.REDEEMED


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
