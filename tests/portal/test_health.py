"""GET /health/ for load balancers and compose: the database, the cache, the broker and a
worker, each for real; a short plain answer that names what failed and nothing else."""

import logging

import pytest
from django.urls import reverse

from portal.logs import HEALTH_PATH, SkipHealthChecks
from tests.support.ports import free_port

pytestmark = pytest.mark.django_db


def lines(response) -> list[str]:
    return response.content.decode().splitlines()


def test_it_is_at_the_path_the_logs_leave_out():
    assert reverse("health") == HEALTH_PATH == "/health/"


@pytest.mark.worker
def test_it_answers_200_when_the_database_cache_broker_and_a_worker_answer(client, celery_worker):
    response = client.get("/health/")
    assert response.status_code == 200
    assert lines(response) == ["database: OK", "cache: OK", "broker: OK", "worker: OK"]
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]


def test_a_broker_nobody_listens_on_is_a_503_that_names_it_and_nothing_else(client, settings):
    port = free_port()
    settings.CELERY_BROKER_URL = f"redis://:s3cret@127.0.0.1:{port}/0"
    response = client.get("/health/")
    assert response.status_code == 503
    assert lines(response) == [
        "database: OK",
        "cache: OK",
        "broker: Unavailable: no connection",
        "worker: Unavailable: no connection",
    ]
    body = response.content.decode()
    assert "s3cret" not in body and str(port) not in body and "Traceback" not in body


def test_a_broker_with_no_worker_behind_it_is_a_503_naming_the_worker(client, settings):
    if settings.REDIS_URL == settings.CELERY_BROKER_URL:
        pytest.skip("the cache's Redis database is the broker's here")
    # The cache's Redis database: a broker that answers, where no worker listens.
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    response = client.get("/health/")
    assert response.status_code == 503
    broker, worker = lines(response)[2:]
    assert broker == "broker: OK"
    # Its ping waits a second for an answer; on a loaded machine the check's own deadline
    # may come first, which says "Timed out" instead: the worker is named either way.
    assert worker in {
        "worker: Unavailable: no worker answered",
        "worker: Unavailable: Timed out after 1 seconds",
    }


def test_with_tasks_in_process_there_is_no_broker_or_worker_to_check(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/health/")
    assert response.status_code == 200
    assert lines(response) == ["database: OK", "cache: OK"]


def test_a_probe_over_plain_http_is_answered_not_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert client.get(reverse("account_login")).status_code == 301
    assert client.get("/health/").status_code == 200


def test_a_failing_probe_is_not_logged_as_a_request_but_other_requests_are(
    client, settings, caplog
):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    with caplog.at_level(logging.INFO, logger="django.request"):
        assert client.get("/health/").status_code == 503
        assert client.get("/no-such-page/").status_code == 404
    logged = [r.getMessage() for r in caplog.records if r.name == "django.request"]
    assert logged == ["Not Found: /no-such-page/"]


@pytest.mark.parametrize(
    ("request_line", "kept"),
    [
        ("GET /health/ HTTP/1.1", False),
        ("HEAD /health/?format=json HTTP/1.1", False),
        ("GET /health/extra HTTP/1.1", True),
        ("GET /accounts/login/ HTTP/1.1", True),
    ],
)
def test_runservers_access_log_leaves_out_health_probes(request_line, kept):
    # As django.core.servers.basehttp logs a request: the request line, status and size.
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', (request_line, "200", "9"), None
    )
    assert SkipHealthChecks().filter(record) is kept
