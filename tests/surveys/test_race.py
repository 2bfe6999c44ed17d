"""One response per visit however many submits race: threads, each on its own PostgreSQL
connection, held at the responses table until every one is about to insert, then let go
together. Only the unique constraint decides; the losers see the response already sent."""

import pytest
from django.db import connection
from django.test import Client

from surveys.models import Answer, Response
from tests.support.race import race
from tests.surveys.conftest import answers, form_url

pytestmark = [pytest.mark.django_db(transaction=True)]
RACERS = 4


def hold_responses() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {Response._meta.db_table} IN SHARE MODE")


def test_racing_submits_save_one_response(completed, survey):
    if connection.vendor != "postgresql":
        pytest.skip("the race is PostgreSQL's")
    url = form_url(completed)
    data = [answers(survey, rating=str(n)) for n in range(1, RACERS + 1)]

    def submit(index: int):
        return lambda: Client().post(url, data[index])

    outcomes = race([submit(i) for i in range(RACERS)], gate=hold_responses)

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    codes = sorted(o.status_code for o in outcomes)
    assert codes == [200] * (RACERS - 1) + [302]
    losers = [o for o in outcomes if o.status_code == 200]
    assert all("Feedback already sent" in o.content.decode() for o in losers)
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 5
