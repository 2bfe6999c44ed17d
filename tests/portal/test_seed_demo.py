import re
from io import StringIO

import pytest
from django.core.management import call_command

from portal.models import Invitation, OutboxMessage, User
from scheduling.models import ServiceAccount, Territory

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", base_url="http://127.0.0.1:8000", stdout=out)
    return out.getvalue()


def test_the_demo_data_can_be_loaded_again_without_duplicates():
    first = _seed()
    counts = [m.objects.count() for m in (User, Territory, ServiceAccount, Invitation)]
    second = _seed()

    assert [m.objects.count() for m in (User, Territory, ServiceAccount, Invitation)] == counts
    assert counts == [2, 3, 5, 1]
    code = Invitation.objects.get().display_code
    for output in (first, second):
        assert f"open http://127.0.0.1:8000/redeem/?code={code}" in output
        assert "alice@example.com / alice-demo-2026" in output
    assert OutboxMessage.objects.filter(to="bob@example.com").count() == 1


def test_the_demo_customer_and_dispatcher_can_sign_in(client):
    _seed()
    assert client.login(email="alice@example.com", password="alice-demo-2026")
    assert User.objects.get(email="dispatcher@example.com").is_superuser
    alice = User.objects.get(email="alice@example.com")
    assert alice.service_account.time_zone == "America/Los_Angeles"
    assert alice.emailaddress_set.get().verified


def test_the_printed_code_redeems(client):
    output = _seed()
    code = re.search(r"code ([0-9A-Z-]+)", output)[1]
    response = client.post("/redeem/", {"code": code})
    assert response["Location"] == "/redeem/profile/"
