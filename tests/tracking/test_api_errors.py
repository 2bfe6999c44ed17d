"""Bad requests to the technicians' API: a 4xx in JSON naming what was wrong, never a 500,
whatever the body, its type or size, the method or the path."""

import pytest

from tests.tracking.conftest import API
from tracking.errors import field_name

pytestmark = pytest.mark.django_db

PAIR = API + "pair"


def _json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.mark.parametrize(
    "body", [b"{", b"{'code': 1}", b"\xff\xfe\x00{", b"[" * 100_000, b"NaN]", b"\x00"]
)
def test_a_body_that_is_not_json_is_400_naming_the_body(client, body):
    response = client.post(PAIR, body, content_type="application/json")
    assert _json_error(response, 400) == {"detail": "The body is not valid JSON.", "field": "body"}


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""]
)
def test_a_body_of_another_type_is_415_naming_the_content_type(client, content_type):
    response = client.generic("POST", PAIR, b'{"code": "ABCDE-FGHJK"}', content_type=content_type)
    assert _json_error(response, 415)["field"] == "Content-Type"


def test_json_by_another_name_is_json(client):
    response = client.post(PAIR, b'{"code": "ABCDE-FGHJK"}', content_type="application/vnd+json")
    assert _json_error(response, 400)["detail"].startswith("That pairing code is not valid")


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_an_oversized_body_is_413_naming_the_body(client, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = b'{"code": "' + b"A" * 2000 + b'"}'
    response = client.post(PAIR, body, content_type=content_type)
    assert _json_error(response, 413)["field"] == "body"


def test_a_body_that_is_not_an_object_is_422(client):
    assert _json_error(client.post(PAIR, b"[]", content_type="application/json"), 422)


def test_an_empty_body_is_422_naming_the_missing_field(client):
    body = _json_error(client.post(PAIR, b"", content_type="application/json"), 422)
    assert body["field"] in {"body", "code"}


def test_a_wrong_method_is_405_in_json(client):
    response = client.put(PAIR, b"{}", content_type="application/json")
    assert _json_error(response, 405) == {"detail": "Use POST here.", "field": "method"}
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("path", ["nope", "", "pair/", "appointments/1", "me/x"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unknown_path_under_the_api_is_404_in_json(client, path, method):
    response = getattr(client, method)(API + path)
    assert _json_error(response, 404)["detail"].startswith("No such endpoint")


def test_validation_errors_name_every_field_at_fault(client, bearer):
    body = b'{"status": 1, "note": 2}'
    response = client.post(
        API + "appointments/1/status", body, content_type="application/json", headers=bearer
    )
    errors = _json_error(response, 422)
    assert errors["field"] == "status"
    assert {e["field"] for e in errors["errors"]} == {"status", "note"}
    assert errors["detail"].startswith("status: ")


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("body", "payload", "code"), "code"),
        (("body", "payload", "points", 3, "latitude"), "points.3.latitude"),
        (("body", "payload"), "body"),
        (("query", "date"), "date"),
        (("path", "appointment_id"), "appointment_id"),
        (("query",), "query"),
    ],
)
def test_an_error_location_becomes_the_field_the_client_wrote(loc, field):
    assert field_name(loc) == field


def test_a_client_whose_address_cannot_be_told_is_403_in_json(client):
    # As behind a proxy count that does not match X-Forwarded-For.
    response = client.post(
        PAIR, {"code": "ABCDE-FGHJK"}, content_type="application/json", REMOTE_ADDR=""
    )
    assert _json_error(response, 403)["detail"]


@pytest.mark.parametrize("path", ["me", "pair", "openapi.json", "nope"])
def test_head_answers_like_get(client, bearer, path):
    get, head = client.get(API + path, headers=bearer), client.head(API + path, headers=bearer)
    assert (head.status_code, head["Content-Type"]) == (get.status_code, get["Content-Type"])
    assert head.content == b""
