"""Keep health probes out of the logs. A load balancer or compose asks for HEALTH_PATH every few
seconds; one access line per probe would drown the requests that matter, and a failing probe
would log an error each time. The path is here, with no imports of models, because logging is
set up before Django loads anything else. gunicorn's lines are scrubbed of device tokens too
(tracking.logs)."""

import logging
from urllib.parse import urlsplit

from gunicorn.glogging import Logger

from tracking.logs import scrub_handlers

HEALTH_PATH = "/health/"


def _path(record: logging.LogRecord) -> str | None:
    """The path a request-log record is about: Django's request logger carries the request;
    runserver's access log carries the request line ("GET /health/ HTTP/1.1") as its first
    argument."""
    path = getattr(getattr(record, "request", None), "path", None)
    if isinstance(path, str):
        return path
    if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
        parts = record.args[0].split()
        if len(parts) >= 2:
            return urlsplit(parts[1]).path
    return None


class SkipHealthChecks(logging.Filter):
    """For django.request (4xx/5xx responses) and django.server (runserver's access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _path(record) != HEALTH_PATH


class AccessLogger(Logger):
    """gunicorn's logger (`--logger-class portal.logs.AccessLogger`), less the health probes'
    access lines, and with device tokens scrubbed from its lines (a request line carries
    the query string, and an access log format may name headers)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        scrub_handlers(self.error_log)
        scrub_handlers(self.access_log)

    def access(self, resp, req, environ, request_time) -> None:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            return
        super().access(resp, req, environ, request_time)
