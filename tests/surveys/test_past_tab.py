"""The Past tab's "Send feedback" / "Feedback sent" costs the same few queries whatever the
number of visits; the demo data offers feedback on Alice's completed visits."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import User
from surveys import services
from tests.surveys.conftest import finished, survey_mails

pytestmark = pytest.mark.django_db
PAST = reverse("portal:home") + "?tab=past"


def queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PAST).status_code == 200
    return len(captured)


def test_the_past_tab_costs_the_same_whatever_the_number_of_visits(
    alice_client, account, alice, technician, repair, survey
):
    first = finished(account, technician, repair, customer=alice)
    first.status = "completed"
    first.save()
    queries(alice_client)  # the session's and the settings' first reads
    one = queries(alice_client)
    for _ in range(5):
        visit = finished(account, technician, repair, customer=alice)
        visit.status = "completed"
        visit.save()
        services.submit(
            appointment=visit,
            survey=survey,
            questions=survey.questions.all(),
            answers={},
            customer=alice,
        )
    html = alice_client.get(PAST).content.decode()
    assert html.count("Feedback sent") == 5 and html.count("Send feedback") == 1
    assert queries(alice_client) == one


def test_the_demo_offers_feedback_on_alices_completed_visits(client):
    call_command("seed_demo", base_url="http://127.0.0.1:8000", stdout=StringIO())
    call_command("seed_demo", base_url="http://127.0.0.1:8000", stdout=StringIO())
    client.force_login(User.objects.get(email="alice@example.com"))
    assert "Send feedback" in client.get(PAST).content.decode()
    assert not survey_mails().exists()
