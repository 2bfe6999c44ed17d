"""Password reset through allauth; its mail goes through the outbox; no account enumeration."""

import re

import pytest
from django.urls import reverse

from portal.models import OutboxMessage

pytestmark = pytest.mark.django_db

RESET = reverse("account_reset_password")


def test_a_reset_request_queues_a_mail_with_a_working_link(client, alice):
    response = client.post(RESET, {"email": "ALICE@example.com"}, follow=True)

    assert "We have sent you an email" in response.content.decode()
    row = OutboxMessage.objects.get()
    assert row.to == "alice@example.com"
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", row.payload["body"])[0]
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    form_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    done = client.post(
        form_url,
        {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"},
        follow=True,
    )
    assert "Your password is now changed." in done.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("a-brand-new-passphrase")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, alice):
    known = client.post(RESET, {"email": "alice@example.com"}, follow=True)
    unknown = client.post(RESET, {"email": "nobody@example.com"}, follow=True)

    assert unknown.status_code == known.status_code == 200
    assert unknown.redirect_chain == known.redirect_chain
    masked = [re.sub(r'"X-CSRFToken": "\w+"', "", r.content.decode()) for r in (known, unknown)]
    assert masked[0] == masked[1]
    assert list(OutboxMessage.objects.values_list("to", flat=True)) == ["alice@example.com"]


def test_sign_in_failures_do_not_tell_which_part_was_wrong(client, alice):
    wrong_password = client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": "nope"}
    )
    no_account = client.post(
        reverse("account_login"), {"login": "nobody@example.com", "password": "nope"}
    )
    expected = "The email address and/or password you specified are not correct."
    assert expected in wrong_password.content.decode()
    assert expected in no_account.content.decode()


def test_repeated_failed_sign_ins_are_rate_limited(client, alice):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "alice@example.com", "password": "nope"})
    response = client.post(
        reverse("account_login"),
        {"login": "alice@example.com", "password": "correct-horse-battery-staple"},
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
