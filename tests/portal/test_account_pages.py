"""Every allauth page a customer meets renders in the portal's layout with a way back."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LAYOUT = 'class="site-header"'


@pytest.mark.parametrize(
    ("name", "signed_in", "back"),
    [
        ("account_change_password", True, ("portal:profile", "Back to your profile")),
        ("account_email", True, ("portal:profile", "Back to your profile")),
        ("account_set_password", True, ("portal:profile", "Back to your profile")),
        ("account_reset_password", False, ("account_login", "Back to sign in")),
        ("account_reset_password_done", False, ("account_login", "Back to sign in")),
    ],
)
def test_each_page_uses_the_layout_with_a_way_back(client, alice, name, signed_in, back):
    if signed_in:
        # Without a password, so the set-password page shows rather than sending on.
        if name == "account_set_password":
            alice.set_unusable_password()
            alice.save()
        client.force_login(alice)
    response = client.get(reverse(name))

    assert response.status_code == 200
    html = response.content.decode()
    assert LAYOUT in html
    url, text = back
    assert f'<a href="{reverse(url)}">&larr; {text}</a>' in html


def test_sign_in_errors_keep_one_forgot_link_and_the_same_wording(client, alice):
    response = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": "wrong"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert LAYOUT in html
    assert html.count("Forgot your password?") == 1
    assert "Remember me" in html and "Remember Me" not in html
