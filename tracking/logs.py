"""Keep device tokens out of every log line. Devices send them in headers and, for tracker
apps that can do no better (Overland), in the URL, which access logs and Django's request
log write down. LOGGING puts this filter on every handler; gunicorn's logger class and
Celery's logging set-up add it to theirs."""

import logging
from urllib.parse import urlsplit

from tracking.tokens import scrub

_formatter = logging.Formatter()


class ScrubTokens(logging.Filter):
    """A handler filter: rewrites the record's message (and traceback) without tokens. It
    never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def scrub_handlers(logger: logging.Logger) -> None:
    """Add the filter to each of `logger`'s handlers that lacks it."""
    for handler in logger.handlers:
        if not any(isinstance(f, ScrubTokens) for f in handler.filters):
            handler.addFilter(ScrubTokens())


# The location endpoints, literally: logging is set up before the URLs are loaded.
LOCATION_PATHS = frozenset(
    f"/api/tech/v1/{name}" for name in ("locations", "owntracks", "overland")
)


class QuietLocationBatches(logging.Filter):
    """Under `make run`, phones and the demo's simulator send a location batch every few
    seconds, each worth two lines (runserver's access line, the in-process task's success)
    that would soon bury everything else, the demo's sign-in details first. This leaves out
    those of batches that went well; a refused batch (4xx, 5xx) and a failed task still show.
    For runserver's `django.server` logger and, with tasks in-process, `celery.app.trace`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.server":
            return not (
                getattr(record, "status_code", None) in (200, 202)
                and _request_path(record) in LOCATION_PATHS
            )
        data = getattr(record, "data", None)  # celery.app.trace's context
        return not (
            isinstance(data, dict)
            and data.get("name") == "tracking.tasks.store_pings"
            and "succeeded" in str(record.msg)
        )


def _request_path(record: logging.LogRecord) -> str | None:
    # runserver's access line has the request line ("POST /api/… HTTP/1.1") first.
    if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
        parts = record.args[0].split()
        return urlsplit(parts[1]).path if len(parts) >= 2 else None
    return None
