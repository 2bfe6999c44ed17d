"""A burst of wrong invitation codes from one client, all at once: no more codes are looked
up than the failed-code limit allows."""

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)

BURST = 60
LIMIT = 5
# The query that looks a code up: portal.services.find_redeemable.
CODE_LOOKUP = re.compile(r'WHERE "portal_invitation"\."code" = ')


def test_a_burst_of_wrong_codes_checks_no_more_than_the_limit(settings, account):
    settings.ACCOUNT_RATE_LIMITS = {"redeem": "1000/h/ip", "redeem_failed": f"{LIMIT}/15m/ip"}
    barrier = threading.Barrier(BURST)
    lookups: list[str] = []
    statuses: list[int] = []

    def count_lookups(execute, sql, params, many, context):
        if CODE_LOOKUP.search(sql):
            lookups.append(sql)
        return execute(sql, params, many, context)

    def guess(n: int) -> None:
        client = Client()  # the same address as all the others
        try:
            with connection.execute_wrapper(count_lookups):
                barrier.wait()
                response = client.post(reverse("portal:redeem"), {"code": f"GUESS-{n}"})
            statuses.append(response.status_code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(lookups) == LIMIT
    assert sorted(statuses) == [200] * LIMIT + [429] * (BURST - LIMIT)


def test_an_empty_code_uses_up_no_attempt(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"redeem": "1000/h/ip", "redeem_failed": "1/15m/ip"}
    for _ in range(3):
        assert client.post(reverse("portal:redeem"), {"code": ""}).status_code == 200
    assert client.post(reverse("portal:redeem"), {"code": "WRONG"}).status_code == 200
    assert client.post(reverse("portal:redeem"), {"code": "WRONG"}).status_code == 429
