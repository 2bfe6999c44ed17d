"""The technicians' web app's page (/tech/) as the server sends it: no sign-in (the API's
token is the credential), the API's address for the script, a labelled pairing form, and a
plain explanation for a browser without scripts. What it does is in tests/e2e/test_tech_app.py."""

import logging

import pytest
from django.urls import reverse

from tracking.logs import QuietLocationBatches

pytestmark = pytest.mark.django_db


def test_the_page_needs_no_sign_in_and_tells_the_script_where_the_api_is(client):
    response = client.get(reverse("tech:home"))

    assert response.status_code == 200
    assert reverse("tech:home") == "/tech/"
    html = response.content.decode()
    assert 'data-api="/api/tech/v1/"' in html
    assert 'js/tech.js" type="module"></script>' in html
    for field in ("pair-code", "pair-name"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html


def test_without_scripts_the_page_says_it_needs_them_and_what_else_works(client):
    html = client.get(reverse("tech:home")).content.decode()

    assert '<div class="card tech-notice nojs-only">' in html  # hidden once portal.js runs
    assert "This page needs JavaScript." in html
    assert "OwnTracks or Overland can share your location" in html
    # The app's own parts stay hidden until the script shows the right one.
    assert '<section class="card" id="pair-section" aria-labelledby="pair-title" hidden>' in html
    assert '<section id="day-section" aria-labelledby="visits-title" hidden>' in html


def _access_line(path: str, status: int) -> logging.LogRecord:
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s',
        (f"POST {path} HTTP/1.1", str(status), "48"), None,
    )  # fmt: skip
    record.status_code = status
    return record


@pytest.mark.parametrize(
    "path, status, logged",
    [
        ("/api/tech/v1/locations", 202, False),
        ("/api/tech/v1/overland?token=[scrubbed]", 200, False),
        ("/api/tech/v1/locations", 429, True),
        ("/api/tech/v1/locations", 503, True),
        ("/api/tech/v1/appointments/1/status", 200, True),
    ],
)
def test_runservers_access_log_leaves_out_accepted_location_batches(path, status, logged):
    server_log = logging.getLogger("django.server")
    assert any(isinstance(f, QuietLocationBatches) for f in server_log.filters)

    assert bool(server_log.filter(_access_line(path, status))) is logged


@pytest.mark.parametrize(
    "task, message, logged",
    [
        ("tracking.tasks.store_pings", "Task %(name)s[%(id)s] succeeded in %(runtime)ss", False),
        ("tracking.tasks.store_pings", "Task %(name)s[%(id)s] raised unexpected: %(exc)s", True),
        ("portal.tasks.deliver", "Task %(name)s[%(id)s] succeeded in %(runtime)ss", True),
    ],
)
def test_in_process_task_log_leaves_out_stored_batches(task, message, logged):
    record = logging.LogRecord("celery.app.trace", logging.INFO, __file__, 1, message, (), None)
    record.data = {"name": task, "id": "1", "runtime": 0.01}

    assert bool(QuietLocationBatches().filter(record)) is logged
