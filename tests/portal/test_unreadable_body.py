"""A POST whose body cannot be read is the client's mistake: a 400 and one short log line."""

import logging

import pytest
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart
from django.urls import reverse

pytestmark = pytest.mark.django_db

CSRF_SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"
FORM = "application/x-www-form-urlencoded"
BODIES = {
    "not in its charset": (f"{FORM}; charset=utf-16", b"code=\xff\xfe\x00\xd8"),
    "no boundary": ("multipart/form-data", encode_multipart(BOUNDARY, {"code": "x"})),
    "a bad boundary": ("multipart/form-data; boundary=\x7f", b"--\x7f\r\n"),
    "too many fields": (FORM, "&".join(f"f{i}=1" for i in range(1200)).encode()),
}  # fmt: skip
PAGES = ["portal:redeem", "scheduling:book", "account_login", "account_logout", "admin:login"]


def _post(client: Client, url: str, content_type: str, body: bytes):
    # generic() sends the bytes as they are; post() would re-encode them into the charset.
    client.cookies["csrftoken"] = CSRF_SECRET
    return client.generic("POST", url, body, content_type=content_type)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(("content_type", "body"), BODIES.values(), ids=BODIES.keys())
def test_an_unreadable_body_is_a_400(settings, page, content_type, body):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)

    response = _post(client, reverse(page), content_type, body)

    assert response.status_code == 400
    assert response.content == b"The request body could not be read."


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed out", "signed in"])
def test_a_body_not_in_its_charset_logs_one_short_line(settings, caplog, alice, signed_in):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if signed_in:
        client.force_login(alice)
    content_type, body = BODIES["not in its charset"]

    with caplog.at_level(logging.INFO):
        response = _post(client, reverse("scheduling:book"), content_type, body)

    assert response.status_code == 400
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.exc_info is None
    assert record.getMessage() == (
        "Bad request body (BadRequest: HTTP requests with the 'application/x-www-form-"
        "urlencoded' content type must be UTF-8 encoded.): POST /book/"
    )


def test_a_readable_body_still_reaches_the_page(client):
    response = client.post(reverse("portal:redeem"), {"code": "NOPE"})
    assert response.status_code == 200
    assert "We don&#x27;t recognise that code." in response.content.decode()
