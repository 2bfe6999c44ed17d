"""The portal as gunicorn serves it (portal.wsgi.application): the technicians' API runs
through API_MIDDLEWARE (no session, CSRF, user, messages or page CSP), every page through the
full MIDDLEWARE, over the same URLs."""

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from portal.wsgi import application
from tests.tracking.conftest import pair, point

pytestmark = pytest.mark.django_db
LOCATIONS = "/api/tech/v1/locations"


@pytest.fixture(autouse=True)
def in_the_test_transaction():
    # Straight to the WSGI application, not through the test client, which would keep Django
    # from closing the connection (and the test's transaction) after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def wsgi(method: str, path: str, body: bytes = b"", **headers: str):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        **{f"HTTP_{k.upper()}": v for k, v in headers.items()},
    }
    if "HTTP_CONTENT_TYPE" in environ:
        environ["CONTENT_TYPE"] = environ.pop("HTTP_CONTENT_TYPE")
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = int(status.split()[0])
        answer["headers"] = response_headers

    answer["body"] = b"".join(application(environ, start_response))
    return answer


def _names(answer) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in answer["headers"]:
        found.setdefault(name.lower(), []).append(value)
    return found


def test_a_location_batch_takes_no_session_csrf_or_page_headers(technician, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.INGEST_ACCEPT_WHEN = "always"
    phone = pair(technician)
    body = json.dumps({"pings": [point()]}).encode()

    with CaptureQueriesContext(connection) as queries:
        answer = wsgi(
            "POST", LOCATIONS, body, Authorization=f"Bearer {phone.token}",
            Content_Type="application/json", Cookie="sessionid=whatever; csrftoken=x",
        )  # fmt: skip

    assert answer["status"] == 202, answer["body"]
    assert json.loads(answer["body"])["accepted"] == 1
    headers = _names(answer)
    assert "set-cookie" not in headers
    assert "content-security-policy" not in headers
    assert headers["x-content-type-options"] == ["nosniff"]  # SecurityMiddleware still runs
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_an_api_error_is_still_json_naming_the_field():
    answer = wsgi("POST", LOCATIONS, b"{}", Content_Type="application/json")

    assert answer["status"] == 401
    assert "application/json" in _names(answer)["content-type"][0]


def test_pages_keep_the_full_middleware(client):
    page = wsgi("GET", "/accounts/login/")
    headers = _names(page)
    assert page["status"] == 200
    assert "content-security-policy" in headers
    assert any(c.strip().startswith("csrftoken=") for c in headers["set-cookie"])

    # A form post without the CSRF token is refused, as before.
    refused = wsgi(
        "POST", "/accounts/login/", b"login=a%40b.c&password=x",
        Content_Type="application/x-www-form-urlencoded",
    )  # fmt: skip
    assert refused["status"] == 403
