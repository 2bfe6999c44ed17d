"""A schema-driven fuzz of the technicians' API: schemathesis reads /api/tech/v1/openapi.json
and sends valid and invalid requests for every operation it lists (one test each, so
endpoints added later are fuzzed without a change here) through the WSGI application, with
a paired device's token. No answer may be a server error.

The device's own and another technician's appointment ids, the days of its visits and a
good pairing code are mixed into the generated values, so that requests reach past the 404s
and wrong codes. Every example runs in the test's transaction; no Celery worker runs here,
so tasks run in-process and are rolled back with it.

`make test` runs a fixed set of examples (seeded) per operation and phase; draw fresh ones with,
e.g., `FUZZ_API_EXAMPLES=500 make test PYTEST_ARGS=tests/tracking/test_api_fuzz.py`."""

import os
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from portal.wsgi import application
from scheduling.models import Appointment
from tests.factories import ResourceFactory
from tests.tracking.conftest import API
from tracking import devices
from tracking.models import Device

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_API_EXAMPLES", "50"))
EXPLORE = "FUZZ_API_EXAMPLES" in os.environ
CONFIG = schemathesis.Config.from_dict(
    {
        **({} if EXPLORE else {"seed": 20300604}),
        "generation": {"mode": "all", "max-examples": EXAMPLES, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
)
# Loaded when the tests are collected: the schema needs no database, and every operation in
# it becomes a test.
schema = schemathesis.openapi.from_wsgi(API + "openapi.json", application, config=CONFIG)

# Real values for the test being run (the `real` fixture fills them in).
REAL: dict[str, list] = {"appointment_id": [], "date": [], "code": []}


@pytest.fixture(autouse=True)
def in_the_test_transaction():
    """Requests reach the WSGI application directly, not through Django's test client, which
    keeps Django from closing the connection (and the test's transaction) after each."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def real(settings, appointment, technician):
    # No worker runs here: what the API queues runs in-process, inside the test transaction.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Wrong pairing codes are the norm here; the limit is tested in test_pairing.py.
    settings.RATE_LIMIT_PAIR_FAILED = "100000/15m/ip"
    theirs = Appointment.objects.create(
        service_account=appointment.service_account, customer=appointment.customer,
        product=appointment.product, service_type=appointment.service_type,
        resource=ResourceFactory(), start=appointment.start, end=appointment.end,
    )  # fmt: skip
    day = appointment.start.astimezone(ZoneInfo(technician.time_zone)).date()
    spare = Device.objects.create(resource=technician, name="Spare phone")
    code = devices.make_pairing_code(device=spare)
    REAL.update(
        appointment_id=[appointment.pk, theirs.pk],
        date=[day.isoformat(), (day + timedelta(days=1)).isoformat()],
        code=[code, code.replace("-", "").lower()],
    )


def _sometimes_real(values: dict) -> st.SearchStrategy:
    """`values` as generated, or with a real value in place of a generated one."""
    if not isinstance(values, dict):
        return st.just(values)
    options = [st.just(values)] + [
        st.sampled_from(REAL[name]).map(lambda real, name=name: {**values, name: real})
        for name in REAL
        if name in values and REAL[name]
    ]
    return st.one_of(options)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    return _sometimes_real(path_parameters)


@schema.hook
def flatmap_query(context, query):
    return _sometimes_real(query)


@schema.hook
def flatmap_body(context, body):
    return _sometimes_real(body)


@schema.parametrize()
@hypothesis_settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_no_request_gets_a_server_error(case, bearer):
    # As gunicorn would give it; the WSGI test client leaves the client's address out.
    response = case.call(headers=bearer, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    case.validate_response(response, checks=[not_a_server_error])
