"""Device tokens never reach a log: every handler the settings configure scrubs them, from
Django's request log to runserver's access log (gunicorn's: tests/test_compose.py)."""

import io
import logging
from contextlib import contextmanager

import pytest
from celery.signals import after_setup_logger, after_setup_task_logger

from tests.tracking.conftest import API
from tracking.logs import ScrubTokens
from tracking.tokens import new_token, scrub

pytestmark = pytest.mark.django_db

TOKEN = new_token()


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        (f"GET /api/tech/v1/overland/{TOKEN} 200", "GET /api/tech/v1/overland/fpt_[scrubbed] 200"),
        (
            "GET /x?device=1&token=s3cr3t&b=2 HTTP/1.1",
            "GET /x?device=1&token=[scrubbed]&b=2 HTTP/1.1",
        ),
        ("/x?access_token=abc", "/x?access_token=[scrubbed]"),
        ('{"token": "abc123", "n": 1}', '{"token": "[scrubbed]", "n": 1}'),
        ("'HTTP_AUTHORIZATION': 'Bearer abc'", "'HTTP_AUTHORIZATION': 'Bearer [scrubbed]'"),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [scrubbed]"),
        ("auth - 'Basic ZnB0X2FiY2RlZmdoaWprbG1ub3A6'", "auth - 'Basic [scrubbed]'"),
        ("Unauthorized: /api/tech/v1/me", "Unauthorized: /api/tech/v1/me"),
        ("A basic visit, booked", "A basic visit, booked"),
        ("nothing to see", "nothing to see"),
    ],
)
def test_scrubbing(text, clean):
    assert scrub(text) == clean


def _handlers() -> list[tuple[str, logging.Handler]]:
    loggers = [("root", logging.getLogger())] + [
        (name, logger)
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    ]
    return [
        (name, handler)
        for name, logger in loggers
        for handler in logger.handlers
        # pytest's own capture, and handlers that write nowhere
        if not _pytests(handler) and not isinstance(handler, logging.NullHandler)
    ]


def _pytests(handler: logging.Handler) -> bool:
    return type(handler).__module__.startswith("_pytest")


def test_every_configured_handler_scrubs_tokens():
    handlers = _handlers()
    assert {name for name, _ in handlers} >= {"root", "django.server"}
    unscrubbed = [
        (name, handler)
        for name, handler in handlers
        if not any(isinstance(f, ScrubTokens) for f in handler.filters)
    ]
    assert unscrubbed == []


@contextmanager
def _written_by(logger_name: str):
    """What the configured handlers of `logger_name` write (the root's for a propagating
    logger, as Django's request log is), captured from their streams."""
    logger = logging.getLogger(logger_name)
    handlers = [
        handler
        for handler in logger.handlers or logging.getLogger().handlers
        if isinstance(handler, logging.StreamHandler) and not _pytests(handler)
    ]
    assert handlers
    written = io.StringIO()
    streams = [handler.setStream(written) for handler in handlers]
    try:
        yield written
    finally:
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream)


def test_djangos_request_log_writes_no_token(client, bearer):
    with _written_by("django.request") as written:
        missing = client.get(f"/no-such-page/{TOKEN}/?token={TOKEN}")
        refused = client.get(
            API + f"me?token={TOKEN}", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert (missing.status_code, refused.status_code) == (404, 401)
    log = written.getvalue()
    assert "Not Found: /no-such-page/fpt_[scrubbed]/" in log
    assert "Unauthorized: /api/tech/v1/me" in log
    assert TOKEN not in log


def test_runservers_access_log_writes_no_token():
    line = f"GET /api/tech/v1/overland?token={TOKEN} HTTP/1.1"
    with _written_by("django.server") as written:
        # As django.core.servers.basehttp logs a request.
        logging.getLogger("django.server").warning(
            '"%s" %s %s', line, "401", "95", extra={"status_code": 401}
        )
    assert '"GET /api/tech/v1/overland?token=[scrubbed] HTTP/1.1" 401 95' in written.getvalue()


def test_a_traceback_is_scrubbed_too():
    with _written_by("tracking") as written:
        try:
            raise ValueError(f"bad token {TOKEN}")
        except ValueError:
            logging.getLogger("tracking").exception("while pairing")
    assert "ValueError: bad token fpt_[scrubbed]" in written.getvalue()
    assert TOKEN not in written.getvalue()


@pytest.mark.parametrize("signal", [after_setup_logger, after_setup_task_logger])
def test_celerys_handlers_get_the_filter_when_it_sets_up_logging(signal):
    logger = logging.Logger("celery-test")
    logger.addHandler(logging.StreamHandler(io.StringIO()))
    signal.send(
        sender=None, logger=logger, loglevel=logging.INFO, logfile=None, format="", colorize=False
    )
    [handler] = logger.handlers
    assert any(isinstance(f, ScrubTokens) for f in handler.filters)
