import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from portal.models import User
from tests.factories import PASSWORD, ServiceAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("portal:profile")


def test_pages_need_a_signed_in_customer(client):
    for url in (reverse("portal:home"), PROFILE):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_the_home_page_shows_empty_sections(client, alice):
    client.force_login(alice)
    html = client.get(reverse("portal:home")).content.decode()
    assert "Hello, Alice" in html
    assert "You have no upcoming appointments." in html
    assert "Past (0)" in html


def test_a_customer_edits_their_profile(client, alice):
    client.force_login(alice)
    response = client.post(
        PROFILE,
        {
            "first_name": "Ally",
            "last_name": "A",
            "phone": "+47 22 33 44 55",
            "time_zone": "Europe/Oslo",
        },
        follow=True,
    )
    assert "Your profile was saved." in response.content.decode()
    alice.refresh_from_db()
    assert (alice.first_name, alice.phone, alice.time_zone) == (
        "Ally",
        "+47 22 33 44 55",
        "Europe/Oslo",
    )
    assert alice.email == "alice@example.com"


def test_a_bad_profile_keeps_what_was_typed(client, alice):
    client.force_login(alice)
    response = client.post(
        PROFILE, {"first_name": "Ally", "last_name": "", "phone": "555", "time_zone": "UTC"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="Ally"' in html
    assert "Enter a phone number" in html
    alice.refresh_from_db()
    assert alice.first_name == "Alice"


def test_external_sign_in_page_says_when_no_provider_is_set_up(client, alice):
    client.force_login(alice)
    html = client.get(reverse("socialaccount_connections")).content.decode()
    assert "no external identity providers set up" in html
    assert "No external account is connected" in html


def test_htmx_posts_carry_the_csrf_token_from_the_page(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get(PROFILE).content.decode()
    token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"(\w+)\"\}'", page)[1]
    form = {"first_name": "Ally", "last_name": "A", "phone": "", "time_zone": "UTC"}

    refused = client.post(PROFILE, form, headers={"HX-Request": "true"})
    accepted = client.post(PROFILE, form, headers={"HX-Request": "true", "X-CSRFToken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 302


def test_a_customer_without_a_time_zone_of_their_own_sees_their_site_zone(client):
    site = ServiceAccountFactory(time_zone="America/Chicago")
    # As admin makes a customer: an email and a password, nothing else.
    carol = User.objects.create_user("carol@example.com", PASSWORD, service_account=site)
    assert carol.time_zone == ""
    client.force_login(carol)

    assert client.get(reverse("portal:home")).context["zone"] == "America/Chicago"
    form = client.get(PROFILE).context["form"]
    assert form.initial["time_zone"] == "America/Chicago"
    assert "" not in dict(form.fields["time_zone"].choices)


def test_a_user_without_a_zone_or_a_site_gets_the_default_zone(client, settings):
    settings.PORTAL_DEFAULT_TIME_ZONE = "Europe/Oslo"
    client.force_login(UserFactory(time_zone=""))

    assert client.get(reverse("portal:home")).context["zone"] == "Europe/Oslo"
    assert client.get(PROFILE).context["form"].initial["time_zone"] == "Europe/Oslo"


def test_a_chosen_time_zone_wins_over_the_site_zone(client, alice):
    alice.time_zone = "Europe/Oslo"
    alice.save()
    client.force_login(alice)

    assert client.get(reverse("portal:home")).context["zone"] == "Europe/Oslo"
    assert client.get(PROFILE).context["form"].initial["time_zone"] == "Europe/Oslo"


def test_a_user_time_zone_is_empty_or_a_real_zone(alice):
    alice.time_zone = ""
    alice.full_clean()
    alice.time_zone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError, match="not a time zone name"):
        alice.full_clean()


def test_profile_errors_are_summarised_and_the_button_keeps_its_id(client, alice):
    client.force_login(alice)
    response = client.post(
        PROFILE, {"first_name": "", "last_name": "A", "phone": "", "time_zone": "UTC"}
    )
    html = response.content.decode()
    assert 'role="alert"' in html
    assert '<a href="#id_first_name">First name: This field is required.</a>' in html
    assert 'id="profile-submit"' in html
