"""A burst of wrong invitation codes from one client, all at once: no more codes are looked
up than the failed-code limit allows."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.support.burst import burst

pytestmark = pytest.mark.django_db(transaction=True)

BURST = 60
LIMIT = 5
# The query that looks a code up: portal.services.find_redeemable.
CODE_LOOKUP = re.compile(r'WHERE "portal_invitation"\."code" = ')


def test_a_burst_of_wrong_codes_checks_no_more_than_the_limit(settings, account):
    settings.ACCOUNT_RATE_LIMITS = {"redeem": "1000/h/ip", "redeem_failed": f"{LIMIT}/15m/ip"}

    lookups, statuses = burst(
        BURST,
        # Clients of the same address as all the others.
        lambda n: Client().post(reverse("portal:redeem"), {"code": f"GUESS-{n}"}),
        counting=CODE_LOOKUP,
    )

    assert lookups == LIMIT
    assert sorted(statuses) == [200] * LIMIT + [429] * (BURST - LIMIT)


def test_an_empty_code_uses_up_no_attempt(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"redeem": "1000/h/ip", "redeem_failed": "1/15m/ip"}
    for _ in range(3):
        assert client.post(reverse("portal:redeem"), {"code": ""}).status_code == 200
    assert client.post(reverse("portal:redeem"), {"code": "WRONG"}).status_code == 200
    assert client.post(reverse("portal:redeem"), {"code": "WRONG"}).status_code == 429
