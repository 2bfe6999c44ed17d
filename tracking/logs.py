"""Keep device tokens out of every log line. Devices send them in headers and, for tracker
apps that can do no better (Overland), in the URL, which access logs and Django's request
log write down. LOGGING puts this filter on every handler; gunicorn's logger class and
Celery's logging set-up add it to theirs."""

import logging

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
